import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Role, TokenRecord, type Logger } from '@cityhub/contracts';
import { DeviceError } from '../errors.js';
import { JsonDoc } from '../util/json-doc.js';

const TokenFile = z.object({ version: z.literal(1), tokens: z.array(TokenRecord) });
type TokenFile = z.infer<typeof TokenFile>;

/** `chk_<id>_<secret>`: the id finds the record, the whole token is hashed. */
const TOKEN_RE = /^chk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const empty = (): TokenFile => ({ version: 1, tokens: [] });
/** Least time between two fetches of the stored tokens for ids not known here (`verifyFresh`). */
const REFETCH_MS = 100;

/** Options of {@link TokenStore.open}. */
export interface TokenStoreOptions {
  /** CITYHUB_REDIS_URL: keep the tokens in this Redis (key `cityhub:doc:tokens`), shared by every api node. */
  redisUrl?: string | undefined;
  /** Where a Redis outage is reported. */
  logger?: Logger | undefined;
}

/**
 * API tokens with roles, in a {@link SharedDocument}: `<dataDir>/registry/tokens.json` beside the device
 * registry, or a Redis key shared by every api node. Tokens are 32 random bytes, so a SHA-256 of each is
 * kept rather than a slow KDF: guessing is hopeless either way, and every API request checks one. A running
 * hub sees tokens added by the CLI at once (a Redis node as soon as the change is announced, milliseconds).
 */
export class TokenStore {
  /** The fetch `verifyFresh` waits on, and when the last one ended. */
  private fetching: Promise<void> | null = null;
  private fetchedAt = 0;

  private constructor(private readonly doc: JsonDoc<TokenFile>) {}

  /** Where the tokens live: the file, or `redis://…#cityhub:doc:tokens`. */
  get path(): string {
    return this.doc.location;
  }

  /**
   * Opens the tokens of `dataDir`, or those in Redis when `opts.redisUrl` is given. REGISTRY_CORRUPT when
   * the stored document is not a token file.
   */
  static async open(dataDir: string, opts: TokenStoreOptions = {}): Promise<TokenStore> {
    return new TokenStore(await JsonDoc.open('tokens', { dataDir, redisUrl: opts.redisUrl, logger: opts.logger }, TokenFile, empty, 'a token file', 2));
  }

  /** Closes the document (a Redis connection). */
  async close(): Promise<void> {
    await this.doc.close();
  }

  /** Creates a token; the token itself is returned only now. */
  async add(role: string, name?: string): Promise<{ id: string; role: Role; token: string }> {
    const r = Role.safeParse(role);
    if (!r.success) throw new DeviceError('BAD_ROLE', `role must be one of ${Role.options.join(', ')}`);
    const id = randomBytes(4).toString('hex');
    const token = `chk_${id}_${randomBytes(32).toString('base64url')}`;
    await this.doc.mutate((f) => {
      f.tokens.push({ id, role: r.data, ...(name && { name }), hash: sha256(token), created_at: new Date().toISOString() });
    });
    return { id, role: r.data, token };
  }

  /** The token's id and role, or null when it is unknown or malformed. */
  verify(token: string): { id: string; role: Role } | null {
    const m = TOKEN_RE.exec(token);
    if (!m) return null;
    const rec = this.doc.value().tokens.find((t) => t.id === m[1]);
    if (!rec) return null;
    const a = Buffer.from(rec.hash, 'hex');
    const b = Buffer.from(sha256(token), 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? { id: rec.id, role: rec.role } : null;
  }

  /**
   * `verify`, except that a well-formed token whose id is not known here is looked for in the stored document first:
   * a token just made by the CLI or on another node, before the change was announced. Such fetches are shared (one
   * at a time) and at most one per `REFETCH_MS`, so a flood of made-up tokens costs Redis next to nothing (and waits).
   */
  async verifyFresh(token: string): Promise<{ id: string; role: Role } | null> {
    const m = TOKEN_RE.exec(token);
    if (!m || this.doc.value().tokens.some((t) => t.id === m[1])) return this.verify(token);
    // Within REFETCH_MS of the last fetch, the next one waits for its turn (and so does the answer).
    this.fetching ??= new Promise((r) => setTimeout(r, Math.max(0, this.fetchedAt + REFETCH_MS - Date.now())))
      .then(() => this.doc.sync()).catch(() => undefined).finally(() => {
        this.fetching = null;
        this.fetchedAt = Date.now();
      });
    await this.fetching;
    return this.verify(token);
  }

  list(): Array<Omit<TokenRecord, 'hash'>> {
    return this.doc.value().tokens.map(({ hash: _hash, ...t }) => t);
  }

  async revoke(id: string): Promise<void> {
    await this.doc.mutate((f) => {
      const i = f.tokens.findIndex((t) => t.id === id);
      if (i < 0) throw new DeviceError('UNKNOWN_TOKEN', `no token ${id}`);
      f.tokens.splice(i, 1);
    });
  }
}
