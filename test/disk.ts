/**
 * Real faults on real disks for the end-to-end tests: a small tmpfs (root only), filled to the last byte,
 * and the bytes of a stopped hub's spool (frame format: `u32le length | u32le crc32 | payload`).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Mounts a tmpfs of `size` (e.g. `48m`) on `dir`; returns why it could not (not root, no mount), or null. */
export function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts are Linux only';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'mount failed';
  }
}

/** Unmounts `dir` (the processes using it must be gone first); never throws. */
export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch (err) {
    console.error(`could not unmount ${dir}: ${(err as Error).message}`);
  }
}

/** Writes `path` until the file system has no byte left. */
export function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of [1 << 20, 4096, 1]) {
      try { for (;;) writeSync(fd, Buffer.alloc(chunk)); } catch { /* full at this grain */ }
    }
  } finally {
    closeSync(fd);
  }
}

/** One spool record of a stopped hub: where it is and the readings (`asset|ts`) it holds. */
export interface SpoolFrame { seg: number; off: number; bytes: number; readings: string[] }

/** Every record of every segment in `spoolDir`, and the committed cursor. */
export async function readSpool(spoolDir: string): Promise<{ frames: SpoolFrame[]; cursor: { seg: number; off: number }; segs: Map<number, number> }> {
  const segs = new Map<number, number>();
  const frames: SpoolFrame[] = [];
  for (const f of (await readdir(spoolDir)).filter((n) => /^seg-\d{12}\.log$/.test(n)).sort()) {
    const seg = Number(f.slice(4, 16));
    const buf = await readFile(join(spoolDir, f));
    segs.set(seg, buf.length);
    for (let off = 0; off + 8 <= buf.length;) {
      const len = buf.readUInt32LE(off);
      const rec = JSON.parse(buf.subarray(off + 8, off + 8 + len).toString()) as { p: Array<[string, string, string, number]> };
      frames.push({ seg, off, bytes: 8 + len, readings: rec.p.map((p) => `${p[1]}|${p[3]}`) });
      off += 8 + len;
    }
  }
  const cursor = JSON.parse(await readFile(join(spoolDir, 'cursor.json'), 'utf8')) as { seg: number; off: number };
  return { frames, cursor, segs };
}

/** Flips one bit of the byte at `at` in `path`. */
export async function flipBit(path: string, at: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0]! ^= 0x10;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

export const segPath = (spoolDir: string, seg: number) => join(spoolDir, `seg-${String(seg).padStart(12, '0')}.log`);
