import { alignDown, DAY_MS, PLAY_SPEEDS } from './time-query.js';
import type { PlaySpeed } from './time-query.js';

/** How far back the time slider reaches: the hub's raw retention (30 days by default). */
export const DEFAULT_RETENTION_MS = 30 * DAY_MS;
/** Play pressed while live replays this many speed steps (two minutes of playing) up to now. */
export const REPLAY_STEPS = 120;

/** The dashboard's moment: live (following now) or a fixed time in the past, and the player's state. */
export interface ClockState { live: boolean; t: number; speed: PlaySpeed; playing: boolean }

/** Why the clock changed: its time, its speed, live/past, or play/pause. */
export type ClockChange = 'time' | 'speed' | 'mode' | 'play';

/**
 * The one time the whole dashboard shows. Live, it follows `now()`; in the past, it stays put or, playing,
 * advances by the speed's step per second of wall time (driven by `advance`), and turns live when it
 * catches up with now. Pure: the caller owns the timer.
 */
export class Clock {
  private live = true;
  private t: number;
  private speed: PlaySpeed = '15m';
  private playing = false;
  /** The oldest reading the hub holds (epoch ms), once known. */
  private oldest: number | null = null;
  private readonly listeners: ((s: ClockState, why: ClockChange) => void)[] = [];

  constructor(private readonly now: () => number = Date.now, private readonly retentionMs = DEFAULT_RETENTION_MS) {
    this.t = now();
  }

  /** The state now (when live, `t` is the current time). */
  get state(): ClockState {
    return { live: this.live, t: this.live ? this.now() : this.t, speed: this.speed, playing: this.playing };
  }

  /**
   * The earliest moment the slider reaches, aligned to the speed's step: the step holding the oldest reading the
   * hub holds, once known, and never before its retention.
   */
  get earliest(): number {
    const step = PLAY_SPEEDS[this.speed].step.ms;
    const retained = alignDown(this.now() - this.retentionMs, step) + step;
    return this.oldest === null ? retained : Math.max(retained, Math.min(alignDown(this.oldest, step), alignDown(this.now(), step)));
  }

  /** The oldest reading the hub holds: the slider starts there (a moment before it moves to it). */
  setOldest(t: number): void {
    this.oldest = t;
    // Live, the time bar redraws each second and picks it up; in the past, a moment before it moves to it.
    if (this.live) return;
    this.t = Math.max(this.t, this.earliest);
    this.emit('time');
  }

  /** Calls `cb` after every change. */
  onChange(cb: (s: ClockState, why: ClockChange) => void): void {
    this.listeners.push(cb);
  }

  /** Moves to moment `t` (clamped to the retained history); at or after now, goes live. */
  setTime(t: number): void {
    const now = this.now();
    if (t >= now) {
      this.goLive();
      return;
    }
    const wasLive = this.live;
    this.live = false;
    this.t = Math.max(this.earliest, t);
    this.emit(wasLive ? 'mode' : 'time');
  }

  /** Back to live (stops playing). */
  goLive(): void {
    if (this.live && !this.playing) return;
    this.live = true;
    this.playing = false;
    this.emit('mode');
  }

  /** Changes the play speed (and the step the dashboard reads history at). */
  setSpeed(speed: PlaySpeed): void {
    if (speed === this.speed) return;
    this.speed = speed;
    this.emit('speed');
  }

  /** Starts playing; from live, replays the last `REPLAY_STEPS` steps. */
  play(): void {
    if (this.playing) return;
    if (this.live) {
      this.live = false;
      this.t = this.now() - REPLAY_STEPS * PLAY_SPEEDS[this.speed].step.ms;
    }
    this.playing = true;
    this.emit('play');
  }

  /** Stops playing, staying at the moment reached. */
  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.emit('play');
  }

  /** Advances a playing clock by `wallMs` of wall time: one speed step per second. */
  advance(wallMs: number): void {
    if (!this.playing || this.live) return;
    const next = this.t + (PLAY_SPEEDS[this.speed].step.ms * wallMs) / 1000;
    if (next >= this.now()) {
      this.goLive();
      return;
    }
    this.t = next;
    this.emit('time');
  }

  private emit(why: ClockChange): void {
    const s = this.state;
    for (const l of this.listeners) l(s, why);
  }
}
