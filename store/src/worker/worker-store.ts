import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { DuckDbStoreOptions } from '../duckdb/duckdb-store.js';
import { StoreError } from '../errors.js';
import type { ReopenLogger } from '../reopen.js';
import type { AlertEvent, Kind } from '@cityhub/contracts';
import type { AlertEventQuery, ColumnarQuery, ColumnarResult, DeadLetter, DeadLetterQuery, LatestPoint, Point, RecordsWritten, Resolution, SeriesQuery, SeriesResult, Store } from '../types.js';
import { fromWire, packRecords, type Call, type Reply, type Request, type WorkerInput } from './protocol.js';

/** Options of the worker store. */
export interface WorkerStoreOptions {
  duckdb: DuckDbStoreOptions;
  /** Where the thread's store reports (reopened after a dead handle) and where a thread that died is told. */
  logger?: ReopenLogger;
  /** The thread's script (default: the built `store-worker.js` of this package). */
  script?: URL;
  /** Backoff bounds before a thread that stopped is started again (doubling, default 200 ms to 10 s). */
  minRestartMs?: number;
  maxRestartMs?: number;
  /** The thread's young generation in MiB (default `YOUNG_GENERATION_MB`; `MOVED_YOUNG_GENERATION_MB` for a store moved under load). */
  youngGenerationMb?: number;
}

/** A thread that ends on its own after close is waited for this long, then terminated. */
const EXIT_WAIT_MS = 5_000;

/**
 * The thread's young generation, in MiB. With V8's default (tens of MiB per isolate) a hub with 10,000 devices took
 * 430 MB against 355 MB with the store on the main thread; with 4 MiB, 387 and 407 MB (one run each of
 * `npm run bench -- --steps connections`).
 */
export const YOUNG_GENERATION_MB = 4;

/**
 * The young generation of a thread started because readings came fast (`MovingStore`), in MiB. Each round's decoded
 * points live until the round is written, so with 4 MiB they outlive several scavenges: in a 6 s flood of 20
 * devices the thread spent 630–750 ms in scavenges, against 330–400 ms with 48 MiB and 310–340 ms with 96 (two
 * runs each, `--trace-gc`). 10,000 devices at one reading per 5 s never start that thread.
 */
export const MOVED_YOUNG_GENERATION_MB = 48;

const gone = new WeakSet<Worker>();

/** Resolves once a thread has ended: on its own, or terminated after EXIT_WAIT_MS. */
async function exitOf(w: Worker): Promise<void> {
  if (gone.has(w)) return;
  w.ref();
  const timer = setTimeout(() => void w.terminate(), EXIT_WAIT_MS);
  await new Promise((r) => w.once('exit', r));
  clearTimeout(timer);
}

/**
 * The process's options without export conditions: the thread runs the built JavaScript, also when the
 * process resolves the workspaces to their TypeScript sources (tests run with `--conditions source`).
 */
function builtOnly(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--conditions' || a === '-C') i++;
    else if (!a.startsWith('--conditions=') && !a.startsWith('-C=')) out.push(a);
  }
  return out;
}

/**
 * A thread with the process's options, less its export conditions (`builtOnly`). A thread refuses V8's options and the
 * process's own (`node --max-old-space-size=… cityhub start`: ERR_WORKER_INVALID_EXEC_ARGV), which are the process's
 * anyway; with any of those the thread takes no options.
 */
function thread(script: URL, options: WorkerOptions): Worker {
  try {
    return new Worker(script, { ...options, execArgv: builtOnly(process.execArgv) });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(script, { ...options, execArgv: [] });
  }
}

/** The built thread script: beside this module once built; from the sources (tests), in the package's dist. */
function defaultScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/worker/store-worker.js', here) : new URL('./store-worker.js', here);
}

/**
 * The DuckDB store on a thread of its own: the same Store, each call a message to the thread that owns the
 * database (DuckDB allows one instance per file in a process, so reads go there too). Appending, folding
 * rollups and answering queries then no longer take the main thread, which acknowledges readings. The thread's
 * store reopens a dead handle by itself (`reopening`); a thread that stops is started again with backoff, and
 * meanwhile every call fails at once with STORE_UNAVAILABLE (the spool writer retries, the API answers 503).
 */
export function createWorkerStore(opts: WorkerStoreOptions): Store & { reopens(): number } {
  return new WorkerStore(opts);
}

class WorkerStore implements Store {
  readonly name = 'duckdb';
  private readonly script: URL;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private threadHealth: { ok: boolean; detail?: string } = { ok: true };
  private threadReopens = 0;
  /** Reopens and restarts of the threads before this one. */
  private reopensBefore = 0;
  /** Why the thread is gone, while another one is being started. */
  private down: string | null = null;
  private inited = false;
  private closed = false;
  private worker: Worker;

  constructor(private readonly opts: WorkerStoreOptions) {
    this.script = opts.script ?? defaultScript();
    this.worker = this.start();
  }

  private start(): Worker {
    const w = thread(this.script, { workerData: { duckdb: this.opts.duckdb } satisfies WorkerInput, resourceLimits: { maxYoungGenerationSizeMb: this.opts.youngGenerationMb ?? YOUNG_GENERATION_MB } });
    w.unref();
    w.on('message', (m: Reply) => this.onReply(m));
    let error = '';
    w.on('error', (err) => { error = err.message; });
    w.on('exit', (code) => {
      gone.add(w);
      if (w !== this.worker) return;
      // Whatever still waits on this thread is answered, also when it was ended by close().
      const reason = this.closed ? 'the duckdb store is closed' : `the store's thread stopped (exit code ${code}${error ? `: ${error}` : ''})`;
      for (const p of this.pending.values()) p.reject(new StoreError('STORE_UNAVAILABLE', this.closed ? reason : `${reason}; it is being started again`));
      this.pending.clear();
      if (!this.closed && !this.down) this.stopped(reason);
    });
    return w;
  }

  private onReply(m: Reply): void {
    if ('id' in m) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.ok) p.resolve(m.value);
      else p.reject(fromWire(m.error));
    } else if ('health' in m) {
      this.threadHealth = m.health;
      this.threadReopens = m.reopens;
    } else {
      this.opts.logger?.[m.log](m.obj, m.msg);
    }
  }

  /** Says that the thread is gone and starts another one. */
  private stopped(reason: string): void {
    this.down = reason;
    this.reopensBefore += this.threadReopens;
    this.threadReopens = 0;
    this.threadHealth = { ok: true };
    this.opts.logger?.error({ err: reason }, 'the store thread stopped: starting it again');
    void this.restart();
  }

  /** Starts threads with backoff until one opens the store (when it had been opened), or the store is closed. */
  private async restart(): Promise<void> {
    const maxMs = this.opts.maxRestartMs ?? 10_000;
    for (let wait = this.opts.minRestartMs ?? 200, attempt = 1; ; wait = Math.min(wait * 2, maxMs), attempt++) {
      await new Promise((r) => setTimeout(r, wait));
      if (this.closed) return;
      this.worker = this.start();
      try {
        if (this.inited) await this.send('init', [], true);
        this.down = null;
        this.reopensBefore++;
        this.opts.logger?.info({ attempts: attempt }, 'store thread started again: it serves again');
        return;
      } catch (err) {
        this.opts.logger?.error({ err: (err as Error).message, attempt, retryInMs: wait }, 'the store thread could not be started yet');
        await this.worker.terminate();
      }
    }
  }

  private send(call: Call, args: unknown[], evenIfDown = false, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new StoreError('STORE_UNAVAILABLE', 'the duckdb store is closed'));
    if (this.down && !evenIfDown) return Promise.reject(new StoreError('STORE_UNAVAILABLE', `${this.down}; it is being started again`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, call, args } satisfies Request, transfer);
    });
  }

  async init(): Promise<void> {
    await this.send('init', []);
    this.inited = true;
  }

  write(points: readonly Point[]): Promise<void> { return this.send('write', [points]) as Promise<void>; }
  /** The round's records go over as one buffer, moved rather than copied, and are decoded on the thread. */
  writeRecords(records: readonly Uint8Array[], batchPoints: number): Promise<RecordsWritten> {
    const packed = packRecords(records);
    return this.send('writeRecords', [packed, batchPoints], false, [packed.buffer]) as Promise<RecordsWritten>;
  }
  latest(kind: Kind): Promise<LatestPoint[]> { return this.send('latest', [kind]) as Promise<LatestPoint[]>; }
  series(q: SeriesQuery): Promise<SeriesResult[]> { return this.send('series', [q]) as Promise<SeriesResult[]>; }
  seriesColumns(q: ColumnarQuery): Promise<ColumnarResult> { return this.send('seriesColumns', [q]) as Promise<ColumnarResult>; }
  deleteBefore(before: number, resolution?: Resolution): Promise<number | null> {
    return this.send('deleteBefore', resolution === undefined ? [before] : [before, resolution]) as Promise<number | null>;
  }
  writeDeadLetters(rows: readonly DeadLetter[]): Promise<void> { return this.send('writeDeadLetters', [rows]) as Promise<void>; }
  listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> { return this.send('listDeadLetters', [q]) as Promise<DeadLetter[]>; }
  deleteDeadLetters(ids: readonly string[]): Promise<number> { return this.send('deleteDeadLetters', [ids]) as Promise<number>; }
  writeAlertEvents(events: readonly AlertEvent[]): Promise<void> { return this.send('writeAlertEvents', [events]) as Promise<void>; }
  listAlertEvents(q: AlertEventQuery): Promise<AlertEvent[]> { return this.send('listAlertEvents', [q]) as Promise<AlertEvent[]>; }

  health(): { ok: boolean; detail?: string } {
    return this.down ? { ok: false, detail: `${this.down}; it is being started again` } : this.threadHealth;
  }

  reopens(): number {
    return this.reopensBefore + this.threadReopens;
  }

  /** Closes the store on its thread and waits for the thread to end; a thread being restarted is ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    const w = this.worker;
    const wasDown = this.down !== null;
    try {
      if (!wasDown) await this.send('close', []);
    } finally {
      this.closed = true;
      if (wasDown) await w.terminate();
      else await exitOf(w);
    }
  }
}
