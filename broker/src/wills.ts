import type { Aedes, Client, PublishPacket } from 'aedes';
import { parseTopic } from '@cityhub/contracts';
import { isStatusPayload } from './acl.js';
import type { BrokerContext } from './types.js';

/** Devices whose last connection is remembered (by node); beyond it the oldest half is forgotten. */
const MAX_REMEMBERED = 200_000;
/** Node ids kept once each; past it (nodes restarted many times, each with a new id) the list starts again. */
const MAX_NODES = 1_000;

/**
 * A will aedes stored for a client of a node that died, which this node now publishes in its stead
 * (aedes.js `_clearWills`: `authorizePublish(clients[will.clientId] || null, will)`). aedes-persistence
 * marks a stored will with `brokerId` and `clientId` (putWill); the will of a client of this node is the
 * client's own `will` object and is not one of these.
 */
export function isForeignWill(client: Client | null, packet: PublishPacket): packet is PublishPacket & { clientId: string; brokerId: string } {
  const p = packet as PublishPacket & { clientId?: unknown; brokerId?: unknown };
  return typeof p.brokerId === 'string' && typeof p.clientId === 'string' && (client === null || (client as Client & { will?: unknown }).will !== packet);
}

/**
 * Which node each device last connected to, from the `$SYS/{node}/new/clients` announcements every
 * aedes node makes on each connection (aedes.js, `closeSameClients`), so that a dead node's will is not
 * published for a device that has connected again elsewhere.
 */
export function rememberConnections(ctx: BrokerContext, aedes: Aedes): void {
  const mq = (aedes as unknown as { mq: { on(topic: string, f: (p: { topic: string; payload: Buffer | string }, done: () => void) => void): void } }).mq;
  // Each node's id kept once: a part cut from each announcement's topic would keep the whole topic alive.
  const nodes = new Map<string, string>();
  mq.on('$SYS/+/new/clients', (packet, done) => {
    const cut = packet.topic.split('/')[1] ?? '';
    let node = nodes.get(cut);
    if (node === undefined) {
      if (nodes.size >= MAX_NODES) nodes.clear();
      node = Buffer.from(cut, 'utf8').toString('utf8');
      nodes.set(node, node);
    }
    const id = packet.payload.toString();
    if (ctx.lastNode.size >= MAX_REMEMBERED) {
      let n = 0;
      for (const k of ctx.lastNode.keys()) if (n++ < MAX_REMEMBERED / 2) ctx.lastNode.delete(k);
    }
    ctx.lastNode.delete(id);
    ctx.lastNode.set(id, node);
    done();
  });
}

/**
 * What to do with a dead node's will: publish it when it is the device's own status topic with `online` or
 * `offline` and the device is not connected anywhere (not here, and not to another node since); otherwise
 * drop it. Either way it is answered without an error, so aedes deletes it (`delWill`) and does not retry
 * it each cycle, and nothing is rejected unhandled.
 */
export function judgeForeignWill(ctx: BrokerContext, client: Client | null, will: PublishPacket & { clientId: string; brokerId: string }): 'publish' | 'drop' {
  const t = parseTopic(will.topic);
  const payload = Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload);
  const own = t !== null && t.channel === 'status' && t.deviceId === will.clientId && isStatusPayload(payload);
  const last = ctx.lastNode.get(will.clientId);
  const connected = client !== null || (last !== undefined && last !== will.brokerId);
  const verdict = own && !connected ? 'publish' : 'drop';
  ctx.logger.info({ device: will.clientId, node: will.brokerId, topic: will.topic.slice(0, 300), verdict, connected }, `a dead node's will: ${verdict === 'publish' ? 'published' : 'dropped'}`);
  if (verdict === 'publish' && t) ctx.hooks.status?.({ id: t.deviceId, kind: t.kind }, payload.toString('utf8') as 'online' | 'offline');
  return verdict;
}
