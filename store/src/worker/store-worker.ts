// The thread that owns the DuckDB store of a worker store (worker-store.ts): it answers the hub's calls one
// message each, and tells the hub how the store stands after every call and while it is being reopened.
import { parentPort, workerData } from 'node:worker_threads';
import { createDuckDbStore } from '../duckdb/duckdb-store.js';
import { reopening } from '../reopen.js';
import { writeRecords } from '../record.js';
import { toWire, unpackRecords, type Call, type PackedRecords, type Reply, type Request, type WorkerInput } from './protocol.js';

const port = parentPort!;
const input = workerData as WorkerInput;
const post = (m: Reply): void => port.postMessage(m);
const store = reopening(() => createDuckDbStore(input.duckdb), {
  logger: {
    info: (obj, msg) => post({ log: 'info', obj, ...(msg !== undefined && { msg }) }),
    error: (obj, msg) => post({ log: 'error', obj, ...(msg !== undefined && { msg }) }),
  },
});

let told = '';
let watch: NodeJS.Timeout | undefined;
/** Tells the hub when the store's health or reopen count changed; while it is not ok, looks again every 200 ms. */
function tellHealth(): void {
  const health = store.health?.() ?? { ok: true };
  const reopens = store.reopens();
  const now = JSON.stringify([health, reopens]);
  if (now !== told) {
    told = now;
    post({ health, reopens });
  }
  if (!health.ok && !watch) watch = setTimeout(() => { watch = undefined; tellHealth(); }, 200);
}

port.on('message', (req: Request) => {
  void answer(req);
});

async function answer({ id, call, args }: Request): Promise<void> {
  try {
    const value: unknown = call === 'writeRecords'
      ? await writeRecords(store, unpackRecords(args[0] as PackedRecords), args[1] as number)
      : await (store as unknown as Record<Call, (...a: unknown[]) => Promise<unknown>>)[call](...args);
    post({ id, ok: true, value });
  } catch (err) {
    post({ id, ok: false, error: toWire(err) });
  }
  if (call === 'close') {
    clearTimeout(watch);
    port.close();
    return;
  }
  tellHealth();
}
