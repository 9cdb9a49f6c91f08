/**
 * What the page knows of the hub's present. While the live socket is up, every reading the hub accepts reaches
 * the page as it is stored, so the page's data is current "now". While it is down, the page polls `/latest`:
 * its data is current as of the last poll that answered (when that poll was sent), and no later. A device is
 * judged offline against that moment, never against the browser's clock alone: a lost socket is the page's
 * silence, not the devices'.
 */
export class FeedWatch {
  private live = false;
  private lost: number | null = null;
  private polled: number;

  /** `since`: when the page's first `/latest` was asked for (its data is current as of then). */
  constructor(private readonly now: () => number = Date.now, since: number = now()) {
    this.polled = since;
  }

  /** The live socket opened: the page hears everything again (the caller catches up from `/latest`). */
  up(): void {
    this.live = true;
    this.lost = null;
  }

  /** The live socket closed (or never opened): remembers when, unless already down. */
  down(): void {
    if (this.live || this.lost === null) this.lost = this.now();
    this.live = false;
  }

  /** A `/latest` of every kind sent at `at` answered and was applied. */
  polledAt(at: number): void {
    this.polled = Math.max(this.polled, at);
  }

  /** Whether the live socket is up. */
  get isLive(): boolean {
    return this.live;
  }

  /** When the live feed was lost, or null while it is up (or has not yet opened the first time). */
  get lostSince(): number | null {
    return this.lost;
  }

  /**
   * The moment the page's data is current to: now while live; else the later of when the socket was lost
   * (everything before it came live) and when the last answered poll was sent.
   */
  asOf(): number {
    return this.live ? this.now() : Math.min(this.now(), Math.max(this.polled, this.lost ?? this.polled));
  }
}
