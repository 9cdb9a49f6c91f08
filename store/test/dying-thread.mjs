// The store's thread (worker-store.ts) as built, except that writing a point of the asset `die` ends the
// thread at once, before the write is answered, as a crash in the thread would: for the worker store's test.
import { parentPort } from 'node:worker_threads';
import '../dist/worker/store-worker.js';

parentPort.on('message', (req) => {
  if (req.call === 'write' && req.args[0].some((p) => p.asset === 'die')) process.exit(7);
});
