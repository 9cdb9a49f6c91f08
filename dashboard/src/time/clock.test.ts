import { describe, expect, it } from 'vitest';
import { Clock, REPLAY_STEPS } from './clock.js';
import type { ClockChange } from './clock.js';

const NOW = Date.UTC(2025, 5, 10, 12);
const MIN = 60_000;

function setup() {
  let now = NOW;
  const clock = new Clock(() => now);
  const seen: ClockChange[] = [];
  clock.onChange((_s, why) => seen.push(why));
  return { clock, seen, tick: (ms: number) => { now += ms; } };
}

describe('Clock', () => {
  it('follows now while live', () => {
    const { clock, tick } = setup();
    expect(clock.state).toEqual({ live: true, t: NOW, speed: '15m', playing: false });
    tick(5000);
    expect(clock.state.t).toBe(NOW + 5000);
  });

  it('stays at a moment in the past, clamped to the retained history, and goes live at now', () => {
    const { clock, seen } = setup();
    clock.setTime(NOW - 90 * MIN);
    expect(clock.state).toMatchObject({ live: false, t: NOW - 90 * MIN });
    clock.setTime(NOW - 60 * 86_400_000);
    expect(clock.state.t).toBe(Date.UTC(2025, 4, 11, 12, 15));
    clock.setTime(NOW + 1);
    expect(clock.state.live).toBe(true);
    expect(seen).toEqual(['mode', 'time', 'mode']);
  });

  it('plays one step per second and turns live when it catches up', () => {
    const { clock, seen } = setup();
    clock.setSpeed('1m');
    clock.setTime(NOW - 3 * MIN);
    clock.play();
    clock.advance(1000);
    expect(clock.state.t).toBe(NOW - 2 * MIN);
    clock.advance(500);
    expect(clock.state.t).toBe(NOW - 1.5 * MIN);
    clock.advance(2000);
    expect(clock.state).toMatchObject({ live: true, playing: false });
    expect(seen).toEqual(['speed', 'mode', 'play', 'time', 'time', 'mode']);
  });

  it('replays the recent past when play is pressed live', () => {
    const { clock } = setup();
    clock.setSpeed('1h');
    clock.play();
    expect(clock.state).toMatchObject({ live: false, playing: true, t: NOW - REPLAY_STEPS * 3_600_000 });
    clock.pause();
    clock.advance(1000);
    expect(clock.state.t).toBe(NOW - REPLAY_STEPS * 3_600_000);
  });

  it('starts the slider at the oldest reading the hub holds, within its retention', () => {
    const { clock } = setup();
    clock.setTime(NOW - 20 * 86_400_000);
    // The hub's oldest reading, 3 days back at 08:07: the slider's first position is its quarter hour.
    clock.setOldest(NOW - 3 * 86_400_000 - 3 * 3_600_000 - 53 * MIN);
    expect(clock.earliest).toBe(Date.UTC(2025, 5, 7, 8, 0));
    expect(clock.state).toMatchObject({ live: false, t: Date.UTC(2025, 5, 7, 8, 0) });
    clock.setTime(NOW - 10 * 86_400_000);
    expect(clock.state.t).toBe(Date.UTC(2025, 5, 7, 8, 0));
    // An oldest reading before the retention (not yet deleted) does not stretch the slider past it.
    clock.setOldest(NOW - 40 * 86_400_000);
    expect(clock.earliest).toBe(Date.UTC(2025, 4, 11, 12, 15));
  });
});
