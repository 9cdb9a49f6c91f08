import { closeSync, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SharedDocument } from '@cityhub/contracts';
import { Serial } from './serial.js';
import { writeFileAtomic } from './atomic-write.js';
import { withFileLock, type LockOptions } from './file-lock.js';

/** What identifies one version of a file: every write renames a new file in, so the inode changes too. */
export function stampOf(st: Stats | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
}

/** The current stamp of `path` without reading it (one stat call). */
export function statStamp(path: string): string {
  return stampOf(statSync(path, { throwIfNoEntry: false }));
}

/**
 * Reads a file and its stamp through one file descriptor, so that the stamp belongs to the text read even
 * if the file is replaced meanwhile. A missing file is null text, stamp `absent`.
 */
export function readStamped(path: string): { text: string | null; stamp: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, stamp: 'absent' };
    throw e;
  }
  try {
    const stamp = stampOf(fstatSync(fd));
    return { text: readFileSync(fd, 'utf8'), stamp };
  } finally {
    closeSync(fd);
  }
}

/**
 * A shared document kept in one file, for one machine: the CLI and the hub processes share it through the
 * file system. `read` costs one `stat` and re-reads only when the stamp changed; `update` takes the lock
 * file `<path>.lock`, re-reads, and replaces the file atomically (mode 0600, its folder 0700), so that
 * concurrent writers in several processes lose nothing.
 */
export class FileDocument implements SharedDocument {
  readonly location: string;
  private readonly lockPath: string;
  private last: { text: string | null; stamp: string } = { text: null, stamp: '' };
  /** In-process serialisation in front of the lock file: waiting on a lock file means polling it. */
  private readonly serial = new Serial();

  /** `opts`: how long an update waits for the lock, and when a dead holder's lock is taken over. */
  constructor(readonly path: string, private readonly opts: LockOptions = {}) {
    this.location = path;
    this.lockPath = `${path}.lock`;
  }

  /** The file's text and stamp; throws only when the file exists but cannot be read. */
  read(): { text: string | null; stamp: string } {
    if (statStamp(this.path) !== this.last.stamp) this.last = readStamped(this.path);
    return { ...this.last };
  }

  update<T>(fn: (text: string | null) => { text?: string; result: T }): Promise<T> {
    return this.serial.run(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      return withFileLock(this.lockPath, async () => {
        const fresh = readStamped(this.path);
        this.last = fresh;
        const { text, result } = fn(fresh.text);
        if (text !== undefined) {
          await writeFileAtomic(this.path, text);
          // Under the lock no other writer can have replaced the file since the rename.
          this.last = { text, stamp: statStamp(this.path) };
        }
        return result;
      }, this.opts);
    });
  }

  /** Nothing to fetch: `read` looks at the file itself. */
  async sync(): Promise<void> {}

  /** Waits for updates under way; a file holds no connection. */
  async close(): Promise<void> {
    await this.serial.idle();
  }
}
