import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RunningBroker } from '@cityhub/broker';
import { LIVE_TOPIC_PREFIX, parseTopic, RelayedReadings, STATUS_FILTER, type Config, type DeviceRegistry } from '@cityhub/contracts';
import { openSharedDocument } from '@cityhub/devices';
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
  /** The notification deliveries of the engine while this node runs it. */
  deliveries(): readonly object[];
  stop(): Promise<void>;
}

/**
 * Alerts across broker nodes. A rule's state (a condition held for five minutes, an open alert, silence)
 * belongs to an asset, not to the node its device happens to be connected to, so one node at a time runs
 * the alert engine, for every node: the holder of a Redis lease, renewed every few seconds and taken over
 * by another node when it lapses. The leader takes every node's validated readings from `cityhub/live/…`
 * and device status from `city/…/status` off the shared message bus, keeps the engine's state in Redis
 * (so the next leader continues where it stopped), writes the alert log to the store, sends the
 * notifications and publishes the events on `cityhub/alerts`.
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

  const onReadings: MqListener = (packet, done) => {
    try {
      running?.alerts.onPoints(RelayedReadings.parse(JSON.parse(Buffer.from(packet.payload).toString('utf8'))));
    } catch (err) {
      log.warn({ topic: packet.topic, err: (err as Error).message }, 'relayed readings ignored');
    }
    done();
  };
  const onStatus: MqListener = (packet, done) => {
    const t = parseTopic(packet.topic);
    const s = Buffer.from(packet.payload).toString('utf8');
    const d = t ? o.registry.get(t.deviceId) : undefined;
    if (d && (s === 'online' || s === 'offline')) running?.alerts.onStatus(d.asset, d.kind, s);
    done();
  };
  const subscribe = (fn: 'on' | 'removeListener') => Promise.all([
    new Promise<void>((r) => mq[fn](`${LIVE_TOPIC_PREFIX}+`, onReadings, () => r())),
    new Promise<void>((r) => mq[fn](STATUS_FILTER, onStatus, () => r())),
  ]);

  const lead = async () => {
    if (running) return;
    const alerting = await openAlerting({ config, store: o.store, rules: o.rules, stateDoc, log });
    alerting.alerts.on('event', (ev) => relayAlert(o.broker, ev));
    running = alerting;
    await subscribe('on');
    log.info({ node: me }, 'this node runs the alert engine');
  };
  const follow = async () => {
    const was = running;
    if (!was) return;
    running = undefined;
    await subscribe('removeListener');
    await was.close();
    log.info({ node: me }, 'this node no longer runs the alert engine');
  };
  const change = (fn: () => Promise<void>) => {
    changing = changing.then(fn).catch((err: unknown) => log.error({ err }, 'alert engine hand-over failed'));
    return changing;
  };

  if (!redisUrl) {
    await lead();
    return { leading: () => true, deliveries: () => running?.notifier.deliveries() ?? [], stop: async () => { await follow(); await stateDoc.close(); } };
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
    redis.disconnect();
    await stateDoc.close();
    throw err;
  });
  await tick();
  const timer = setInterval(() => void tick(), RENEW_MS);
  return {
    leading: () => running !== undefined,
    deliveries: () => running?.notifier.deliveries() ?? [],
    async stop() {
      clearInterval(timer);
      await change(follow);
      await redis.eval(RELEASE, 1, LEADER_KEY, me).catch(() => undefined);
      redis.disconnect();
      await stateDoc.close();
    },
  };
}
