import { EventEmitter } from 'node:events';
import { cityClock, DEFAULT_CITY_TZ, type AlertEvent, type AssetProperties, type CityClock, type DeviceStatus, type Kind, type Logger, type Rule, type SharedDocument } from '@cityhub/contracts';
import type { Point, Store } from '@cityhub/store';
import { ackMessage } from './acknowledge.js';
import type { Baselines } from './baselines.js';
import { inRuleHours, usualStep } from './usual.js';

/** What one rule remembers of one asset. */
interface KeyState {
  /** Device time at which the condition started to hold. */
  since?: number;
  /** The newest reading time seen (older, late readings do not move alerts). */
  lastTs?: number;
  open?: { alert: string; opened: number; acknowledged?: boolean };
}
interface PeakState { day: string; max: number; prevMax: number | null }
interface EngineState {
  version: 1;
  keys: Record<string, KeyState>;
  /** Hub time of each asset's last reading, for silence. */
  lastSeen: Record<string, number>;
  peaks: Record<string, PeakState>;
  /** Events not yet confirmed by the store. */
  unsaved: AlertEvent[];
}

export interface AlertEngineOptions {
  store: Pick<Store, 'writeAlertEvents'>;
  /** An asset's catalogue properties (for thresholds relative to them). */
  asset: (id: string) => (AssetProperties & { kind: Kind }) | undefined;
  rules: () => readonly Rule[];
  /** The usual values the `usual` rules compare with; without them those rules stay quiet. */
  baselines?: Baselines;
  /**
   * Where the engine keeps its state across restarts: the shared document `alerts` (a file under the data
   * directory, or a Redis key shared by the nodes that take turns running the engine).
   */
  stateDoc: SharedDocument;
  logger: Logger;
  /** The city's time zone (CITYHUB_TZ), whose nights and days the baseload rules follow; Europe/Athens by default. */
  timeZone?: string;
  now?: () => number;
}

/**
 * Evaluates alert rules on readings as they become durable. Durations run on device time, so a five-minute
 * condition means five minutes of readings, whenever they arrive; silence runs on the hub's clock. What a
 * rule remembers (how long a condition has held, which alerts are open, yesterday's peak) is saved in its shared document,
 * so after a restart a condition that was four minutes in needs one more minute, not five.
 */
export class AlertEngine extends EventEmitter<{ event: [AlertEvent] }> {
  private state: EngineState = { version: 1, keys: {}, lastSeen: {}, peaks: {}, unsaved: [] };
  private dirty = false;
  private saving: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly clock: CityClock;
  private enabled: { all: readonly Rule[] | undefined; rules: readonly Rule[] } = { all: undefined, rules: [] };

  private constructor(private readonly o: AlertEngineOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.clock = cityClock(o.timeZone ?? DEFAULT_CITY_TZ);
  }

  static async open(o: AlertEngineOptions): Promise<AlertEngine> {
    const e = new AlertEngine(o);
    try {
      await o.stateDoc.sync();
      const text = o.stateDoc.read().text;
      const s = text === null ? null : JSON.parse(text) as EngineState;
      if (s?.version === 1) e.state = s;
    } catch (err) {
      o.logger.warn({ err }, 'alert state unreadable; starting afresh');
    }
    e.timer = setInterval(() => { e.checkSilence(); void e.flush(); }, 5_000);
    e.timer.unref();
    return e;
  }

  /** Open alerts, as the engine knows them now. */
  openAlerts(): Array<{ alert: string; rule: string; asset: string; opened: number; acknowledged: boolean }> {
    return Object.entries(this.state.keys).flatMap(([key, s]) => {
      if (!s.open) return [];
      const [rule, asset] = key.split('|') as [string, string];
      return [{ alert: s.open.alert, rule, asset, opened: s.open.opened, acknowledged: s.open.acknowledged ?? false }];
    });
  }

  /** Takes durable readings. */
  onPoints(points: readonly Point[]): void {
    const hubNow = this.now();
    const rules = this.enabledRules();
    this.o.baselines?.maybeRefresh(hubNow);
    for (const p of points) {
      this.state.lastSeen[p.asset] = hubNow;
      for (const rule of rules) {
        if (rule.kind !== p.kind || (rule.asset && rule.asset !== p.asset)) continue;
        if (rule.type === 'offline') this.offline(rule, p.asset, false, p.ts, null);
        else if (rule.type === 'threshold') this.threshold(rule, p);
        else if (rule.type === 'usual') this.usual(rule, p);
        else this.baseload(rule, p);
      }
      if (p.kind === 'energy' && p.values.power_kw !== undefined) this.peak(p.asset, p.ts, p.values.power_kw);
    }
    this.dirty = true;
  }

  /** The enabled rules, filtered again only when the rule list changes (it is the same list until then). */
  private enabledRules(): readonly Rule[] {
    const all = this.o.rules();
    if (this.enabled.all !== all) this.enabled = { all, rules: all.filter((r) => r.enabled) };
    return this.enabled.rules;
  }

  /** A device's status: `offline` is also what its last will says. */
  onStatus(asset: string, kind: Kind, status: DeviceStatus): void {
    for (const rule of this.o.rules()) {
      if (rule.type !== 'offline' || !rule.enabled || rule.kind !== kind || (rule.asset && rule.asset !== asset)) continue;
      this.offline(rule, asset, status === 'offline', this.now(), status === 'offline' ? 'its last will or its own status said offline' : null);
    }
    this.dirty = true;
  }

  /** Acknowledges an open alert; returns the event, or null when no open alert has that id (a cleared one is acknowledged from the log: `acknowledge`). */
  async acknowledge(alert: string, by: string, comment?: string): Promise<AlertEvent | null> {
    for (const [key, s] of Object.entries(this.state.keys)) {
      if (s.open?.alert !== alert) continue;
      s.open.acknowledged = true;
      const [ruleId, asset] = key.split('|') as [string, string];
      const rule = this.o.rules().find((r) => r.id === ruleId);
      const ev = this.event(alert, ruleId, asset, rule?.severity ?? 'warning', 'acknowledged', this.now(), null, ackMessage(by, comment), by);
      await this.flush();
      return ev;
    }
    return null;
  }

  private key(rule: Rule, asset: string): KeyState {
    const k = `${rule.id}|${asset}`;
    return (this.state.keys[k] ??= {});
  }

  private threshold(rule: Extract<Rule, { type: 'threshold' }>, p: Point): void {
    const v = p.values[rule.metric];
    if (v === undefined) return;
    let t = rule.value;
    if (t === undefined) {
      const a = this.o.asset(p.asset) as Record<string, unknown> | undefined;
      const base = rule.relative_to ? a?.[rule.relative_to] : undefined;
      if (typeof base !== 'number') return;
      t = base * (rule.factor ?? 1);
    }
    const below = rule.op === 'below';
    const held = below ? v < t : v > t;
    const cleared = below ? v > t * (1 + rule.clear_hysteresis) : v < t * (1 - rule.clear_hysteresis);
    const what = `${rule.metric} ${v} ${below ? 'below' : 'above'} ${+t.toFixed(3)}`;
    this.step(rule, p.asset, p.ts, v, held, cleared, what, rule.for_s);
  }

  /** Against the asset's usual value for this hour of the week; quiet without one, and outside the rule's hours. */
  private usual(rule: Extract<Rule, { type: 'usual' }>, p: Point): void {
    const v = p.values[rule.metric];
    if (v === undefined) return;
    if (!inRuleHours(rule, this.clock.hour(p.ts))) {
      this.step(rule, p.asset, p.ts, v, false, true, 'outside the rule\'s hours', rule.for_s);
      return;
    }
    const usual = this.o.baselines?.usual(rule, p.asset, p.ts);
    if (usual === undefined) return;
    const s = usualStep(rule, this.o.asset(p.asset)?.name ?? p.asset, v, usual);
    this.step(rule, p.asset, p.ts, v, s.held, s.cleared, s.what, rule.for_s, s.opened);
  }

  private baseload(rule: Extract<Rule, { type: 'baseload' }>, p: Point): void {
    const v = p.values.power_kw;
    if (v === undefined) return;
    const day = this.clock.dayKey(p.ts);
    const hour = this.clock.hour(p.ts);
    const night = hour >= rule.night_from_hour && hour < rule.night_to_hour;
    const peak = this.state.peaks[p.asset];
    const prev = peak ? (peak.day === day ? peak.prevMax : peak.max) : null;
    if (!night || prev === null) {
      // Daybreak (or no yesterday yet) ends the condition.
      this.step(rule, p.asset, p.ts, v, false, true, 'night over', rule.for_s);
      return;
    }
    const t = prev * rule.share;
    this.step(rule, p.asset, p.ts, v, v > t, v < t * (1 - rule.clear_hysteresis),
      `night power ${v} kW above ${Math.round(rule.share * 100)} % of yesterday's peak ${prev} kW`, rule.for_s);
  }

  /** The previous local day's peak power of each building. */
  private peak(asset: string, ts: number, v: number): void {
    const day = this.clock.dayKey(ts);
    const p = this.state.peaks[asset];
    if (!p) this.state.peaks[asset] = { day, max: v, prevMax: null };
    else if (p.day === day) p.max = Math.max(p.max, v);
    else if (day > p.day) this.state.peaks[asset] = { day, max: v, prevMax: p.max };
  }

  private offline(rule: Extract<Rule, { type: 'offline' }>, asset: string, isOffline: boolean, at: number, why: string | null): void {
    const s = this.key(rule, asset);
    if (isOffline && !s.open) this.openAlert(rule, asset, s, at, null, `${asset} offline: ${why}`);
    else if (!isOffline && s.open) this.clearAlert(rule, asset, s, at, null, `${asset} back online`);
  }

  /** Silence: assets of an offline rule's kind not heard from for its silence_s (hub clock). */
  checkSilence(): void {
    const now = this.now();
    for (const rule of this.o.rules()) {
      if (rule.type !== 'offline' || !rule.enabled) continue;
      for (const [asset, seen] of Object.entries(this.state.lastSeen)) {
        if ((rule.asset && rule.asset !== asset) || this.o.asset(asset)?.kind !== rule.kind) continue;
        if (now - seen > rule.silence_s * 1000 && !this.key(rule, asset).open) {
          this.offline(rule, asset, true, now, `no reading for ${Math.round((now - seen) / 1000)} s`);
          this.dirty = true;
        }
      }
    }
  }

  /** One reading's step of a condition with a duration and a clear condition. */
  private step(rule: Rule, asset: string, ts: number, v: number, held: boolean, cleared: boolean, what: string, forS: number,
    opened: (heldMs: number) => string = (ms) => `${what} for ${Math.round(ms / 1000)} s`): void {
    const s = this.key(rule, asset);
    if (s.lastTs !== undefined && ts < s.lastTs) return;
    s.lastTs = ts;
    if (s.open) {
      if (cleared) this.clearAlert(rule, asset, s, ts, v, `cleared: ${what}`);
      return;
    }
    if (!held) {
      delete s.since;
      return;
    }
    s.since ??= ts;
    if (ts - s.since >= forS * 1000) this.openAlert(rule, asset, s, ts, v, opened(ts - s.since));
  }

  private openAlert(rule: Rule, asset: string, s: KeyState, at: number, v: number | null, message: string): void {
    const alert = `${rule.id}:${asset}:${at}`;
    s.open = { alert, opened: at };
    delete s.since;
    this.event(alert, rule.id, asset, rule.severity, 'opened', at, v, message, null);
  }

  private clearAlert(rule: Rule, asset: string, s: KeyState, at: number, v: number | null, message: string): void {
    const alert = s.open!.alert;
    delete s.open;
    delete s.since;
    this.event(alert, rule.id, asset, rule.severity, 'cleared', at, v, message, null);
  }

  private event(alert: string, rule: string, asset: string, severity: AlertEvent['severity'], state: AlertEvent['state'], at: number, value: number | null, message: string, by: string | null): AlertEvent {
    const kind = this.o.asset(asset)?.kind ?? 'traffic';
    const ev: AlertEvent = { id: `${alert}:${state}${state === 'acknowledged' ? `:${at}` : ''}`, alert, rule, kind, asset, severity, state, at, value, message, by };
    this.state.unsaved.push(ev);
    this.dirty = true;
    this.emit('event', ev);
    // The log is read by the API: write it soon, a few events together.
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      void this.flush();
    }, 50);
    return ev;
  }

  /** Writes new events to the store and the state to disk; events stay queued while the store is down. */
  async flush(): Promise<void> {
    // One flush at a time; a call that arrives during one waits for it, then runs its own.
    while (this.saving) await this.saving;
    const run = this.writeOut();
    this.saving = run;
    try {
      await run;
    } finally {
      if (this.saving === run) this.saving = undefined;
    }
  }

  private async writeOut(): Promise<void> {
    if (this.state.unsaved.length) {
      const batch = this.state.unsaved.slice();
      try {
        await this.o.store.writeAlertEvents(batch);
        this.state.unsaved.splice(0, batch.length);
        this.dirty = true;
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message, queued: batch.length }, 'alert log write failed; kept for the next try');
      }
    }
    if (this.dirty) {
      this.dirty = false;
      const text = JSON.stringify(this.state);
      try {
        await this.o.stateDoc.update(() => ({ text, result: undefined }));
      } catch (err) {
        // Redis away (or the file's lock held too long): the state stays in memory and is saved on the next flush.
        this.dirty = true;
        this.o.logger.warn({ err: (err as Error).message }, 'alert state not saved; kept for the next try');
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.flush();
  }
}
