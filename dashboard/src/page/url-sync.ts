import { formatUrlState } from './url-state.js';
import type { UrlState } from './url-state.js';

/** Writes to the address bar at most this often (the player changes the time every frame). */
const WRITE_EVERY_MS = 500;

/**
 * Keeps the address bar in step with the dashboard, so the URL can be shared or bookmarked at any moment.
 * `replaceState`, not `pushState`: moving the slider must not fill the Back button's history.
 */
export class UrlSync {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private state: UrlState) {}

  /** The state as last set. */
  get current(): UrlState {
    return this.state;
  }

  /** Changes some of the state; the URL follows within half a second. */
  set(patch: Partial<UrlState>): void {
    this.state = { ...this.state, ...patch };
    if (this.timer) return;
    this.timer = setTimeout(() => this.write(), WRITE_EVERY_MS);
  }

  /** Writes now. */
  write(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const url = `${window.location.pathname}${formatUrlState(this.state)}${window.location.hash}`;
    if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) window.history.replaceState(null, '', url);
  }
}
