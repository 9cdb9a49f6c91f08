import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Role, TokenRecord } from '@cityhub/contracts';
import { DeviceError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { withFileLock } from '../files/file-lock.js';

const TokenFile = z.object({ version: z.literal(1), tokens: z.array(TokenRecord) });
type TokenFile = z.infer<typeof TokenFile>;

/** `chk_<id>_<secret>`: the id finds the record, the whole token is hashed. */
const TOKEN_RE = /^chk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * API tokens with roles, in `<dataDir>/registry/tokens.json` beside the device registry, written atomically
 * under a lock. Tokens are 32 random bytes, so a SHA-256 of each is kept rather than a slow KDF: guessing is
 * hopeless either way, and every API request checks one. A running hub sees tokens added by the CLI at once.
 */
export class TokenStore {
  private file: TokenFile = { version: 1, tokens: [] };
  private stamp = '';

  private constructor(readonly path: string) {}

  static async open(dataDir: string): Promise<TokenStore> {
    const dir = join(dataDir, 'registry');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const s = new TokenStore(join(dir, 'tokens.json'));
    await s.load();
    return s;
  }

  private async load(): Promise<void> {
    try {
      const st = await stat(this.path);
      this.file = TokenFile.parse(JSON.parse(await readFile(this.path, 'utf8')));
      this.stamp = `${st.mtimeMs}:${st.size}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new DeviceError('REGISTRY_CORRUPT', `${this.path} is not a token file: ${(e as Error).message}`);
    }
  }

  /** Re-reads the file when another process changed it (a cheap stat). */
  private refreshSync(): void {
    try {
      const st = statSync(this.path);
      if (`${st.mtimeMs}:${st.size}` !== this.stamp) {
        const text = readFileSync(this.path, 'utf8');
        this.file = TokenFile.parse(JSON.parse(text));
        this.stamp = `${st.mtimeMs}:${st.size}`;
      }
    } catch {
      // A missing or half-replaced file keeps what was known.
    }
  }

  private async mutate<T>(fn: (f: TokenFile) => T): Promise<T> {
    return withFileLock(`${this.path}.lock`, async () => {
      await this.load();
      const out = fn(this.file);
      await writeFileAtomic(this.path, JSON.stringify(this.file, null, 2));
      await this.load();
      return out;
    });
  }

  /** Creates a token; the token itself is returned only now. */
  async add(role: string, name?: string): Promise<{ id: string; role: Role; token: string }> {
    const r = Role.safeParse(role);
    if (!r.success) throw new DeviceError('BAD_ROLE', `role must be one of ${Role.options.join(', ')}`);
    const id = randomBytes(4).toString('hex');
    const token = `chk_${id}_${randomBytes(32).toString('base64url')}`;
    await this.mutate((f) => {
      f.tokens.push({ id, role: r.data, ...(name && { name }), hash: sha256(token), created_at: new Date().toISOString() });
    });
    return { id, role: r.data, token };
  }

  /** The token's id and role, or null when it is unknown or malformed. */
  verify(token: string): { id: string; role: Role } | null {
    const m = TOKEN_RE.exec(token);
    if (!m) return null;
    this.refreshSync();
    const rec = this.file.tokens.find((t) => t.id === m[1]);
    if (!rec) return null;
    const a = Buffer.from(rec.hash, 'hex');
    const b = Buffer.from(sha256(token), 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? { id: rec.id, role: rec.role } : null;
  }

  list(): Array<Omit<TokenRecord, 'hash'>> {
    this.refreshSync();
    return this.file.tokens.map(({ hash: _hash, ...t }) => t);
  }

  async revoke(id: string): Promise<void> {
    await this.mutate((f) => {
      const i = f.tokens.findIndex((t) => t.id === id);
      if (i < 0) throw new DeviceError('UNKNOWN_TOKEN', `no token ${id}`);
      f.tokens.splice(i, 1);
    });
  }
}
