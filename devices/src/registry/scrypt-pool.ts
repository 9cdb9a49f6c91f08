import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** scrypt options as `crypto.scryptSync` takes them. */
export interface ScryptOptions { N: number; r: number; p: number; maxmem: number }

/** The pool's queue is full: the caller should refuse at once rather than wait. */
export class ScryptBusyError extends Error {
  constructor(queued: number) {
    super(`password checks are busy (${queued} waiting); retry later`);
  }
}

/**
 * The worker's whole program: `scryptSync` on its own thread. Node's async `scrypt` would run on libuv's
 * threadpool (4 threads by default), which also runs the spool's `fdatasync`: a flood of password checks
 * there holds every device's PUBACK.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', (m) => {
  try {
    const key = scryptSync(m.secret, Buffer.from(m.salt), m.keylen, m.opts);
    parentPort.postMessage({ id: m.id, key });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
  }
});
`;

interface Job {
  id: number;
  secret: string;
  salt: Buffer;
  keylen: number;
  opts: ScryptOptions;
  resolve(key: Buffer): void;
  reject(err: Error): void;
}
interface Slot { worker: Worker; job: Job | null }

/**
 * A small pool of worker threads that run scrypt one hash at a time each, with a bounded queue: a check
 * beyond `maxQueued` waiting is refused at once (`ScryptBusyError`) instead of piling up. Workers start on
 * first use and never keep the process alive.
 */
export class ScryptPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;

  constructor(readonly size: number, readonly maxQueued: number) {}

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Derives a key; with `bounded`, refuses at once when the queue is full (checks of strangers' passwords). */
  hash(secret: string, salt: Buffer, keylen: number, opts: ScryptOptions, bounded: boolean): Promise<Buffer> {
    if (bounded && this.queue.length >= this.maxQueued) return Promise.reject(new ScryptBusyError(this.queue.length));
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, secret, salt, keylen, opts, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers (jobs in progress are refused). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, secret: job.secret, salt: job.salt, keylen: job.keylen, opts: job.opts });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, job: null };
    worker.unref();
    worker.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
      const job = slot.job;
      slot.job = null;
      worker.unref();
      if (job?.id === m.id) {
        if (m.key) job.resolve(Buffer.from(m.key.buffer, m.key.byteOffset, m.key.byteLength));
        else job.reject(new Error(m.error ?? 'scrypt failed'));
      }
      this.dispatch();
    });
    const lost = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.job?.reject(err);
      slot.job = null;
      this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`scrypt worker exited (${code})`)));
    this.slots.push(slot);
    return slot;
  }
}

/** Workers: one on a machine of two cores or fewer (the event loop keeps a core), else two. */
export const SCRYPT_WORKERS = availableParallelism() <= 2 ? 1 : 2;
/** Password checks that may wait for a worker; beyond it a check is refused at once. */
export const SCRYPT_MAX_QUEUED = 256;

/** The process's pool, shared by device secrets (and any other deliberately slow hash). */
export const scryptPool = new ScryptPool(SCRYPT_WORKERS, SCRYPT_MAX_QUEUED);
