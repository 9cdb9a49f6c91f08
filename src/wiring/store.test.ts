import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@cityhub/contracts';
import { MovingStore } from '@cityhub/store';
import { loginStorm, moveWhenBehind, openStore, STORM_HOLD_MAX_MS, STORM_HOLD_MS, STORM_LOGINS_PER_S } from './store.js';

describe('a fleet logging in holds the store where it is', () => {
  it('is a storm from a whole second\'s STORM_LOGINS_PER_S logins until STORM_HOLD_MS after the last such second', () => {
    let t = 10_000;
    const s = loginStorm(() => t);
    for (let i = 0; i < STORM_LOGINS_PER_S - 1; i++) s.login();
    expect(s.storm()).toBe(false);
    s.login();
    expect(s.storm()).toBe(true);
    // A second with no login at all (a busy thread) does not end it...
    t += 1_000;
    expect(s.storm()).toBe(true);
    // ...another second of logins prolongs it...
    for (let i = 0; i < STORM_LOGINS_PER_S; i++) s.login();
    t += STORM_HOLD_MS - 1;
    expect(s.storm()).toBe(true);
    // ...and it ends STORM_HOLD_MS after that second's last counted login.
    t += 1;
    expect(s.storm()).toBe(false);
    // Logins spread over a second's edge count in the second each fell in.
    t = 40_900;
    for (let i = 0; i < STORM_LOGINS_PER_S / 2; i++) s.login();
    t = 41_100;
    for (let i = 0; i < STORM_LOGINS_PER_S / 2; i++) s.login();
    expect(s.storm()).toBe(false);
  });

  it('holds for STORM_HOLD_MAX_MS at most, however long the fleet keeps logging in', () => {
    let t = 100_000;
    const s = loginStorm(() => t);
    const second = () => {
      for (let i = 0; i < STORM_LOGINS_PER_S; i++) s.login();
    };
    second();
    for (; t < 100_000 + STORM_HOLD_MAX_MS - 1_000;) {
      t += 1_000;
      second();
      expect(s.storm()).toBe(true);
    }
    t = 100_000 + STORM_HOLD_MAX_MS;
    second();
    expect(s.storm()).toBe(false);
    // Once the logins have stopped for STORM_HOLD_MS, a new storm holds again.
    t += STORM_HOLD_MS;
    expect(s.storm()).toBe(false);
    second();
    expect(s.storm()).toBe(true);
  });

  it('keeps the embedded store on its thread while held, and moves it once asked again unheld', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-move-hold-'));
    const store = await openStore(parseConfig({ CITYHUB_DATA_DIR: dir }), dir);
    try {
      expect(store).toBeInstanceOf(MovingStore);
      const moving = store as MovingStore;
      let held = true;
      const onBehind = moveWhenBehind(store, () => held)!;
      expect(onBehind()).toBe(false);
      await new Promise((r) => setTimeout(r, 200));
      expect(moving.where()).toBe('main');
      held = false;
      expect(onBehind()).toBe(true);
      for (const t0 = Date.now(); moving.where() !== 'own' && Date.now() - t0 < 20_000;) await new Promise((r) => setTimeout(r, 20));
      expect(moving.where()).toBe('own');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
