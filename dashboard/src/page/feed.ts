import type { LiveStatus } from '../data/live.js';
import type { FeedWatch } from '../model/feed.js';
import { city } from '../time/city.js';
import { showStatus } from '../ui/controls.js';
import { byId } from '../ui/dom.js';

/** While the live feed is down, `/latest` is read this often (the map stays current, a little behind). */
export const FEED_POLL_MS = 10_000;

const two = (n: number) => String(n).padStart(2, '0');

/** `HH:MM` (or `HH:MM:SS`) in the city's time, 24 h. */
export function clockTime(ms: number, seconds = false): string {
  const p = city().localParts(ms);
  return `${two(p.hour)}:${two(p.minute)}${seconds ? `:${two(p.second)}` : ''}`;
}

/** The banner's text while the feed is down: since when, and how current the map is; null while live. */
export function feedLostText(feed: FeedWatch, now: number): string | null {
  const lost = feed.lostSince;
  if (feed.isLive || lost === null) return null;
  const asOf = feed.asOf();
  const day = city().dayKey(asOf) === city().dayKey(now) ? '' : `${city().format(asOf)}, `;
  return `Live feed lost since ${clockTime(lost)} — data as of ${day}${clockTime(asOf, true)} (reading the latest every ${FEED_POLL_MS / 1000} s)`;
}

export interface FeedDeps {
  feed: FeedWatch;
  /** Reads `/latest` of every kind and applies it. */
  refreshLatest: () => Promise<void>;
  /** After a poll: time moved for the offline judgement. */
  polled: () => void;
}

/**
 * Keeps the Live chip and the banner saying what the feed is, and polls `/latest` while the feed is down. Returns
 * the socket's status handler.
 */
export function watchFeed({ feed, refreshLatest, polled }: FeedDeps): (s: LiveStatus) => void {
  const chip = byId('status', HTMLElement);
  const banner = byId('feed-banner', HTMLElement);
  let status: LiveStatus = 'connecting';
  const render = () => {
    const text = feedLostText(feed, Date.now());
    banner.hidden = text === null;
    banner.textContent = text ?? '';
    showStatus(chip, status, feed.lostSince);
  };
  let polling = false;
  setInterval(() => {
    if (feed.isLive || feed.lostSince === null || polling) return;
    polling = true;
    const at = Date.now();
    refreshLatest().then(() => {
      feed.polledAt(at);
      polled();
    }, () => undefined).finally(() => {
      polling = false;
      render();
    });
  }, FEED_POLL_MS);
  return (s) => {
    status = s;
    if (s === 'open') feed.up();
    else if (s !== 'connecting') feed.down();
    render();
  };
}
