import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { StateError } from './errors.js';

/** Options of {@link withFileLock}. */
export interface LockOptions {
  /** How long to wait for the lock before failing with STATE_CONTENDED (ms). */
  timeoutMs?: number;
  /** A lock older than this whose holder is gone is taken over (ms). */
  staleMs?: number;
}

interface LockOwner { pid: number; host: string; token: string; at: number }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.token === 'string' && typeof o.host === 'string') return o as LockOwner;
  } catch {
    // An empty or torn lock file: its writer died between create and write.
  }
  return undefined;
}

/**
 * Whether the lock at `path` is stale: older than `staleMs` and its holder is not running (or the file
 * names no holder). A holder on another host cannot be checked, so only its age counts.
 */
async function staleContent(path: string, staleMs: number): Promise<string | undefined> {
  try {
    const st = await stat(path);
    if (Date.now() - st.mtimeMs < staleMs) return undefined;
    const text = await readFile(path, 'utf8');
    const owner = parseOwner(text);
    if (owner && owner.host === hostname() && processAlive(owner.pid)) return undefined;
    return text;
  } catch {
    return undefined;
  }
}

/**
 * Takes a stale lock away. Two processes may judge the same lock stale at once; renaming it aside is
 * atomic, so only one of them moves it. If what was moved is not the stale lock that was judged (another
 * process replaced it meanwhile), it is put back with `link`, which never overwrites a newer lock.
 */
async function breakStaleLock(path: string, judged: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved === undefined) return;
  if (moved !== judged) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Runs `fn` holding an exclusive lock file at `path`, serialising it with every other process (and every
 * other caller in this process) that locks the same path. The lock is a file created with O_EXCL.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const staleMs = opts.staleMs ?? 10_000;
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), at: Date.now() };
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(owner));
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const stale = await staleContent(path, staleMs);
    if (stale !== undefined) {
      await breakStaleLock(path, stale);
      continue;
    }
    if (Date.now() > deadline) {
      throw new StateError('STATE_CONTENDED', `the lock ${path} has been held by another process for more than ${timeoutMs} ms`);
    }
    // Randomised, growing back-off so that waiting processes do not retry in lock step.
    await sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await releaseLock(path, owner.token);
  }
}

/** Removes the lock only if it is still ours (it may have been broken as stale while we were stalled). */
async function releaseLock(path: string, token: string): Promise<void> {
  let current: LockOwner | undefined;
  try {
    current = parseOwner(await readFile(path, 'utf8'));
  } catch {
    return;
  }
  if (current?.token === token) await unlink(path).catch(() => undefined);
}
