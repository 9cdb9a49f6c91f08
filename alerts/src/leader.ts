import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { isReadingKind, LIVE_TOPIC_PREFIX, parseDeviceStatus, parseTopic, RelayedReadings, STATUS_FILTER, type Config, type DeviceRegistry, type Logger } from '@cityhub/contracts';
import type { Store } from '@cityhub/store';
import { openAlertState, openAlerting, type Alerting, type PartLogger } from './alerting.js';
import { publishAlert, type AlertBus, type BusListener } from './bus.js';
import type { RuleFile } from './rule-file.js';

/** The Redis key whose holder runs the alert engine for every node. */
const LEADER_KEY = 'cityhub:alerts:leader';
/** How long the lease lasts without renewal, and how often it is renewed (or sought). */
const LEASE_MS = 15_000;
const RENEW_MS = 5_000;
/** How long, and how many bytes of, what the bus carried a follower keeps for a hand-over. */
const HANDOVER_MS = 60_000;
const HANDOVER_BYTES = 64 * 1024 * 1024;
/** Renews the lease only if this node still holds it. */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
/** What the alert engine hears on the bus: every node's validated readings, and device status. */
const FILTERS = [`${LIVE_TOPIC_PREFIX}+`, STATUS_FILTER];

/** What runs alerts on a broker node: see {@link startAlertLeader}. */
export interface AlertLeader {
  /** True while this node runs the engine. */
  leading(): boolean;
  stop(): Promise<void>;
}

/** Options of {@link startAlertLeader}. */
export interface AlertLeaderOptions {
  config: Config;
  dataDir: string;
  store: Store;
  registry: Pick<DeviceRegistry, 'get'>;
  rules: RuleFile;
  /** The broker's bus, shared by every node. */
  bus: AlertBus;
  log: PartLogger;
}

/**
 * What the bus carried while another node ran the engine, kept for a while: if that node dies, the
 * readings it may not have evaluated (or saved the state of) are evaluated by the next leader.
 */
class Handover {
  private readonly recent: Array<{ at: number; topic: string; payload: Buffer }> = [];
  private bytes = 0;

  remember(topic: string, payload: Buffer): void {
    const now = Date.now();
    this.recent.push({ at: now, topic, payload });
    this.bytes += payload.length;
    while (this.recent.length && (this.recent[0]!.at < now - HANDOVER_MS || this.bytes > HANDOVER_BYTES)) this.bytes -= this.recent.shift()!.payload.length;
  }

  /** Everything kept, oldest first; the buffer is left empty. */
  drain(): Array<{ topic: string; payload: Buffer }> {
    this.bytes = 0;
    return this.recent.splice(0);
  }
}

/** Feeds one bus message to the engine: relayed readings, or a device's status by its asset. */
function evaluate(alerting: Alerting, registry: Pick<DeviceRegistry, 'get'>, log: Logger, topic: string, payload: Buffer): void {
  if (topic.startsWith(LIVE_TOPIC_PREFIX)) {
    try {
      alerting.alerts.onPoints(RelayedReadings.parse(JSON.parse(payload.toString('utf8'))));
    } catch (err) {
      log.warn({ topic, err: (err as Error).message }, 'relayed readings ignored');
    }
    return;
  }
  const t = parseTopic(topic);
  const s = parseDeviceStatus(payload);
  const d = t ? registry.get(t.deviceId) : undefined;
  if (d && s && isReadingKind(d.kind)) alerting.alerts.onStatus(d.asset, d.kind, s);
}

/** Listens to every filter of {@link FILTERS}; resolves with a function that stops listening. */
async function listen(bus: AlertBus, listener: BusListener): Promise<() => Promise<void>> {
  const stops = await Promise.all(FILTERS.map((f) => bus.subscribe(f, listener)));
  return async () => { await Promise.all(stops.map((s) => s())); };
}

/**
 * The Redis lease: sought (or renewed) every RENEW_MS; `onTick` hears whether this node holds it. Resolves
 * once Redis answered (fails after 10 s); `stop` ends the renewals, and `release` gives the lease up.
 */
async function startLease(redisUrl: string, me: string, log: Logger, onTick: (holding: boolean) => Promise<void>): Promise<{ stop(): void; release(): Promise<void> }> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error (alert lease)'));
  let holding = false;
  const tick = async () => {
    try {
      holding = holding
        ? Number(await redis.eval(RENEW, 1, LEADER_KEY, me, String(LEASE_MS))) === 1
        : (await redis.set(LEADER_KEY, me, 'PX', LEASE_MS, 'NX')) === 'OK';
    } catch (err) {
      // Redis away: a leader that cannot renew steps down before its lease can have lapsed elsewhere.
      if (holding) log.warn({ err: (err as Error).message }, 'alert lease not renewed');
      holding = false;
    }
    await onTick(holding);
  };
  await new Promise<void>((resolve, reject) => {
    if (redis.status === 'ready') return resolve();
    const t = setTimeout(() => reject(new Error(`no answer from CITYHUB_REDIS_URL in 10 s (the alert lease)`)), 10_000);
    redis.once('ready', () => { clearTimeout(t); resolve(); });
  }).catch((err: unknown) => {
    redis.disconnect();
    throw err;
  });
  await tick();
  const timer = setInterval(() => void tick(), RENEW_MS);
  return {
    stop: () => clearInterval(timer),
    async release() {
      await redis.eval(RELEASE, 1, LEADER_KEY, me).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/**
 * Alerts across broker nodes. A rule's state (a condition held for five minutes, an open alert, silence)
 * belongs to an asset, not to the node its device happens to be connected to, so one node at a time runs
 * the alert engine, for every node: the holder of a Redis lease, renewed every few seconds and taken over
 * by another node when it lapses. The leader takes every node's validated readings from `cityhub/live/…`
 * and device status from `city/…/status` off the shared message bus, keeps the engine's state in Redis
 * (so the next leader continues where it stopped), writes the alert log to the store, sends the
 * notifications and publishes the events on `cityhub/alerts`. The other nodes keep the last minute of what
 * the bus carried, which the next leader evaluates when it takes over: nothing that arrived during the
 * hand-over goes unseen (an event the old leader had already sent may be sent again, with the same id).
 *
 * Without Redis (a lone broker node) the node is always the leader and keeps the state in its data dir.
 */
export async function startAlertLeader(o: AlertLeaderOptions): Promise<AlertLeader> {
  const { config } = o;
  const log = o.log('alert-leader');
  const redisUrl = config.CITYHUB_REDIS_URL;
  const stateDoc = await openAlertState({ dataDir: o.dataDir, redisUrl }, o.log('alert-state'));
  const me = randomBytes(8).toString('hex');
  const handover = new Handover();
  let running: Alerting | undefined;
  let changing: Promise<void> = Promise.resolve();

  const unsubscribe = await listen(o.bus, (topic, payload) => {
    if (running) evaluate(running, o.registry, log, topic, payload);
    else handover.remember(topic, payload);
  });
  const lead = async () => {
    if (running) return;
    const alerting = await openAlerting({ config, store: o.store, rules: o.rules, stateDoc, log: o.log });
    alerting.alerts.on('event', (ev) => publishAlert(o.bus, ev));
    // The engine's saved state may lag the last leader by a few seconds: what the bus carried since is
    // evaluated again (a condition seen twice holds as long; an alert already open is not opened again).
    const replayed = handover.drain();
    for (const m of replayed) evaluate(alerting, o.registry, log, m.topic, m.payload);
    running = alerting;
    log.info({ node: me, replayed: replayed.length }, 'this node runs the alert engine');
  };
  const follow = async () => {
    const was = running;
    if (!was) return;
    running = undefined;
    await was.close();
    log.info({ node: me }, 'this node no longer runs the alert engine');
  };
  const change = (fn: () => Promise<void>) => {
    changing = changing.then(fn).catch((err: unknown) => log.error({ err }, 'alert engine hand-over failed'));
    return changing;
  };

  if (!redisUrl) {
    await lead();
    return { leading: () => true, stop: async () => { await unsubscribe(); await follow(); await stateDoc.close(); } };
  }
  const lease = await startLease(redisUrl, me, log, (holding) => change(holding ? lead : follow)).catch(async (err: unknown) => {
    await unsubscribe();
    await stateDoc.close();
    throw err;
  });
  return {
    leading: () => running !== undefined,
    async stop() {
      lease.stop();
      await unsubscribe();
      await change(follow);
      await lease.release();
      await stateDoc.close();
    },
  };
}
