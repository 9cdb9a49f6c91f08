import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RunningBroker } from '@cityhub/broker';
import { LIVE_TOPIC_PREFIX, parseTopic, RelayedReadings, STATUS_FILTER, type Config, type DeviceRegistry } from '@cityhub/contracts';
import { openSharedDocument } from '@cityhub/state';
import type { RuleFile } from '@cityhub/ingest';
import type { Store } from '@cityhub/store';
import type { Logger } from './logger.js';
import { openAlerting, type Alerting } from './parts.js';
import { relayAlert } from './relay.js';

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

interface MqPacket { topic: string; payload: Buffer | string }
type MqListener = (packet: MqPacket, done: () => void) => void;
interface Mq {
  on(topic: string, listener: MqListener, cb?: () => void): void;
  removeListener(topic: string, listener: MqListener, cb?: () => void): void;
}

/** What runs alerts on a broker node: see {@link startAlertLeader}. */
export interface AlertLeader {
  /** True while this node runs the engine. */
  leading(): boolean;
  stop(): Promise<void>;
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
export async function startAlertLeader(o: {
  config: Config; dataDir: string; store: Store; registry: DeviceRegistry; rules: RuleFile; broker: RunningBroker; log: Logger;
}): Promise<AlertLeader> {
  const { config, log } = o;
  const redisUrl = config.CITYHUB_REDIS_URL;
  const stateDoc = await openSharedDocument('alerts', { dataDir: o.dataDir, ...(redisUrl && { redisUrl }), logger: log.child({ name: 'alert-state' }) });
  const mq = (o.broker.aedes as unknown as { mq: Mq }).mq;
  const me = randomBytes(8).toString('hex');
  let running: Alerting | undefined;
  let changing: Promise<void> = Promise.resolve();

  // What the bus carried while another node ran the engine, kept for a while: if that node dies, the
  // readings it may not have evaluated (or saved the state of) are evaluated by the next leader.
  const recent: Array<{ at: number; topic: string; payload: Buffer }> = [];
  let recentBytes = 0;
  const remember = (topic: string, payload: Buffer) => {
    const now = Date.now();
    recent.push({ at: now, topic, payload });
    recentBytes += payload.length;
    while (recent.length && (recent[0]!.at < now - HANDOVER_MS || recentBytes > HANDOVER_BYTES)) recentBytes -= recent.shift()!.payload.length;
  };
  const evaluate = (alerting: Alerting, topic: string, payload: Buffer) => {
    if (topic.startsWith(LIVE_TOPIC_PREFIX)) {
      try {
        alerting.alerts.onPoints(RelayedReadings.parse(JSON.parse(payload.toString('utf8'))));
      } catch (err) {
        log.warn({ topic, err: (err as Error).message }, 'relayed readings ignored');
      }
      return;
    }
    const t = parseTopic(topic);
    const s = payload.toString('utf8');
    const d = t ? o.registry.get(t.deviceId) : undefined;
    if (d && (s === 'online' || s === 'offline')) alerting.alerts.onStatus(d.asset, d.kind, s);
  };
  const onMessage: MqListener = (packet, done) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (running) evaluate(running, packet.topic, payload);
    else remember(packet.topic, payload);
    done();
  };
  await Promise.all([`${LIVE_TOPIC_PREFIX}+`, STATUS_FILTER].map((topic) => new Promise<void>((r) => mq.on(topic, onMessage, () => r()))));
  const unsubscribe = () => Promise.all([`${LIVE_TOPIC_PREFIX}+`, STATUS_FILTER].map((topic) => new Promise<void>((r) => mq.removeListener(topic, onMessage, () => r()))));

  const lead = async () => {
    if (running) return;
    const alerting = await openAlerting({ config, store: o.store, rules: o.rules, stateDoc, log });
    alerting.alerts.on('event', (ev) => relayAlert(o.broker, ev));
    // The engine's saved state may lag the last leader by a few seconds: what the bus carried since is
    // evaluated again (a condition seen twice holds as long; an alert already open is not opened again).
    const replayed = recent.length;
    for (const m of recent.splice(0)) evaluate(alerting, m.topic, m.payload);
    recentBytes = 0;
    running = alerting;
    log.info({ node: me, replayed }, 'this node runs the alert engine');
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
    await change(holding ? lead : follow);
  };
  await new Promise<void>((resolve, reject) => {
    if (redis.status === 'ready') return resolve();
    const t = setTimeout(() => reject(new Error(`no answer from CITYHUB_REDIS_URL in 10 s (the alert lease)`)), 10_000);
    redis.once('ready', () => { clearTimeout(t); resolve(); });
  }).catch(async (err: unknown) => {
    await unsubscribe();
    redis.disconnect();
    await stateDoc.close();
    throw err;
  });
  await tick();
  const timer = setInterval(() => void tick(), RENEW_MS);
  return {
    leading: () => running !== undefined,
    async stop() {
      clearInterval(timer);
      await unsubscribe();
      await change(follow);
      await redis.eval(RELEASE, 1, LEADER_KEY, me).catch(() => undefined);
      redis.disconnect();
      await stateDoc.close();
    },
  };
}
