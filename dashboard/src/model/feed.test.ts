import { describe, expect, it } from 'vitest';
import { FeedWatch } from './feed.js';
import { isOffline } from './offline.js';

describe('FeedWatch', () => {
  it('is current now while live, and as of the loss, then of each answered poll, while down', () => {
    let now = 1_000;
    const feed = new FeedWatch(() => now, 500);
    expect(feed.asOf()).toBe(500);
    feed.up();
    now = 10_000;
    expect(feed.asOf()).toBe(10_000);
    expect(feed.lostSince).toBeNull();
    feed.down();
    now = 70_000;
    expect(feed.lostSince).toBe(10_000);
    expect(feed.asOf()).toBe(10_000);
    feed.polledAt(60_000);
    expect(feed.asOf()).toBe(60_000);
    // Reconnect attempts that fail again do not move the loss.
    feed.down();
    expect(feed.lostSince).toBe(10_000);
    feed.up();
    expect(feed.asOf()).toBe(70_000);
  });

  it('keeps a device that goes on publishing online through two minutes without the socket', () => {
    let now = 0;
    const feed = new FeedWatch(() => now, 0);
    feed.up();
    feed.down();
    const interval = 10_000;
    let last = 0;
    for (now = 0; now <= 120_000; now += 1_000) {
      if (now % interval === 0) last = now; // the device publishes; the hub stores it
      if (now % 15_000 === 0) feed.polledAt(now); // the page's poll sees it
      expect(isOffline(last, feed.asOf(), interval)).toBe(false);
      // The browser's clock alone would have called it offline after 3 intervals without the socket:
      if (now > 30_000) expect(isOffline(0, now, interval)).toBe(true);
    }
  });

  it('still calls a device offline that went silent as the hub sees it', () => {
    let now = 0;
    const feed = new FeedWatch(() => now, 0);
    feed.up();
    feed.down();
    now = 120_000;
    feed.polledAt(110_000);
    expect(isOffline(0, feed.asOf(), 10_000)).toBe(true);
  });
});
