import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Aedes, Client } from 'aedes';
import type { BrokerContext, RunningBroker } from './types.js';
import { ConnectionsPerIp, leanParser, limitPacketSize, parserOf } from './limits.js';

type Listeners = Pick<RunningBroker, 'listen' | 'listenTls' | 'listenWs' | 'close'>;

/**
 * The broker's listeners (TCP, TLS, WebSocket). Every transport ends in one place: the per-IP limit, then
 * aedes on the socket itself, its parser held to the packet-size limit; `onClient` sees each aedes client as
 * it is made.
 */
export function transports(ctx: BrokerContext, aedes: Aedes, onClient: (client: Client) => void): Listeners {
  const { limits, logger, limitStats } = ctx;
  const perIp = new ConnectionsPerIp(limits.maxConnectionsPerIp);
  // Every accepted connection, so that close() can end them: a server's close() waits for its connections.
  const open = new Set<Duplex>();
  const accept = (stream: Duplex, ip: string) => {
    if (!perIp.take(ip)) {
      limitStats.ipRefused++;
      logger.warn({ ip, max: limits.maxConnectionsPerIp }, 'connection refused: too many from this address');
      stream.destroy();
      return;
    }
    open.add(stream);
    stream.once('close', () => {
      open.delete(stream);
      perIp.release(ip);
    });
    // The address of each connection, for the login back-off (aedes sees only the stream).
    ctx.addresses.set(stream, ip);
    const client = aedes.handle(stream);
    const parser = parserOf(client);
    if (!parser) throw new Error('aedes keeps no MQTT parser on its clients: the packet-size limit cannot hold');
    leanParser(parser);
    limitPacketSize(parser, limits.maxPacketBytes, (err) => {
      limitStats.oversize++;
      logger.warn({ ip, err: err.message }, 'connection closed: packet over the size limit or malformed');
    });
    onClient(client);
  };
  const onSocket = (socket: Socket) => accept(socket, socket.remoteAddress ?? 'unknown');

  const servers: Array<Server | ReturnType<typeof createHttpServer>> = [];
  const bind = async (server: Server | ReturnType<typeof createHttpServer>, host: string, port: number) => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  };
  const wsServers: WebSocketServer[] = [];
  return {
    listen: (host, port) => bind(createServer(onSocket), host, port),
    listenTls: (host, port, tls) => bind(createTlsServer(tls, onSocket), host, port),
    async listenWs(host, port, tls) {
      const http = tls ? (await import('node:https')).createServer(tls) : createHttpServer();
      const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload: limits.maxPacketBytes + 8 });
      wsServers.push(wss);
      wss.on('connection', (ws, req) => accept(createWebSocketStream(ws), req.socket.remoteAddress ?? 'unknown'));
      return bind(http, host, port);
    },
    async close() {
      for (const w of wsServers) w.close();
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
