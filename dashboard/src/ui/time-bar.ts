import { city } from '../time/city.js';
import type { Clock, ClockState } from '../time/clock.js';
import { button, el, select } from './dom.js';
import { formatAgeMs } from './format.js';
import { PLAY_SPEED_KEYS, PLAY_SPEEDS } from '../time/time-query.js';

/** How often the player advances the clock. */
const FRAME_MS = 100;

/**
 * The time slider: one control that moves the whole dashboard to a moment of the retained history, plays
 * from there at a chosen speed, and returns to live.
 */
export class TimeBar {
  private readonly live: HTMLButtonElement;
  private readonly play: HTMLButtonElement;
  private readonly slider = el('input', 'time-slider');
  private readonly label = el('output', 'time-label');
  private readonly jump = el('input', 'time-jump');
  private readonly busy = el('span', 'time-busy');
  private timer: ReturnType<typeof setInterval> | null = null;
  private last = 0;

  constructor(private readonly root: HTMLElement, private readonly clock: Clock) {
    this.live = button('Live', 'live-button', () => clock.goLive());
    this.live.title = 'Back to live readings';
    this.play = button('Play', 'play-button', () => (clock.state.playing ? clock.pause() : clock.play()));
    const speed = select('time-speed', 'Speed', PLAY_SPEED_KEYS.map((k) => ({ key: k, text: PLAY_SPEEDS[k].label })), clock.state.speed,
      (s) => clock.setSpeed(s));
    this.slider.type = 'range';
    this.slider.id = 'time-slider';
    this.slider.setAttribute('aria-label', 'Dashboard time (drag back through the retained history)');
    // The slider's last position is live (its positions are steps from the first, so the last lies before now).
    this.slider.addEventListener('input', () => {
      const v = Number(this.slider.value);
      if (v + PLAY_SPEEDS[clock.state.speed].step.ms > Number(this.slider.max)) clock.goLive();
      else clock.setTime(v);
    });
    this.slider.addEventListener('keydown', (e) => {
      if (e.key !== 'End') return;
      e.preventDefault();
      clock.goLive();
    });
    this.label.htmlFor.add('time-slider');
    this.label.setAttribute('aria-live', 'off');
    this.jump.type = 'datetime-local';
    this.jump.id = 'time-jump';
    this.jump.setAttribute('aria-label', 'Go to a date and time (Thessaloniki)');
    this.jump.addEventListener('change', () => {
      const t = city().fromLocalInput(this.jump.value);
      if (t !== null) clock.setTime(t);
    });
    this.busy.setAttribute('aria-hidden', 'true');
    const transport = el('div', 'time-transport');
    transport.append(this.live, this.play, speed.root);
    const scrub = el('div', 'time-scrub');
    scrub.append(this.slider);
    const where = el('div', 'time-where');
    where.append(this.label, this.busy, this.jump);
    root.append(transport, scrub, where);
    clock.onChange((s) => this.render(s));
    // Live, the slider's end and the label move with the time.
    setInterval(() => {
      if (this.clock.state.live) this.render(this.clock.state);
    }, 1000);
    this.render(clock.state);
  }

  /** Shows that history is being fetched for the moment on show. */
  setLoading(loading: boolean): void {
    this.busy.textContent = loading ? 'loading…' : '';
  }

  private render(s: ClockState): void {
    const step = PLAY_SPEEDS[s.speed].step.ms;
    this.slider.min = String(this.clock.earliest);
    this.jump.min = city().toLocalInput(this.clock.earliest);
    this.slider.max = String(Date.now());
    this.slider.step = String(step);
    this.slider.value = String(s.t);
    const text = city().format(s.t);
    this.slider.setAttribute('aria-valuetext', s.live ? `Live, ${text}` : text);
    this.label.textContent = s.live ? `Live · ${text}` : `${text} · ${formatAgeMs(s.t, Date.now())}`;
    this.root.dataset.mode = s.live ? 'live' : 'past';
    this.live.setAttribute('aria-pressed', String(s.live));
    this.play.textContent = s.playing ? 'Pause' : 'Play';
    this.play.setAttribute('aria-pressed', String(s.playing));
    if (document.activeElement !== this.jump) this.jump.value = city().toLocalInput(s.t);
    if (s.playing && !this.timer) {
      this.last = performance.now();
      this.timer = setInterval(() => {
        const now = performance.now();
        this.clock.advance(now - this.last);
        this.last = now;
      }, FRAME_MS);
    } else if (!s.playing && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
