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
});
