/**
 * aedes alone, as a child process: `Aedes.createBroker()` with its defaults (in-memory persistence, no
 * authentication) behind a plain `net` server on a free loopback port. Reports the port over IPC.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.address() as AddressInfo).port });
});
process.on('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
