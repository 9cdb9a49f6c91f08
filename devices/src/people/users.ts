import { z } from 'zod';
import { Role, USER_NAME_PATTERN, UserRecord } from '@cityhub/contracts';
import type { SharedDocOptions } from '@cityhub/state';
import { DeviceError } from '../errors.js';
import { hashSecret, verifySecret } from '../registry/secret.js';
import { JsonDoc } from '../util/json-doc.js';

const UsersFile = z.object({ version: z.literal(1), users: z.array(UserRecord) });
type UsersFile = z.infer<typeof UsersFile>;

/** The shortest password a person may set. */
export const MIN_PASSWORD_LENGTH = 12;
/** The longest (scrypt hashes anything, but a megabyte of password is not one). */
const MAX_PASSWORD_LENGTH = 1_024;

/** A user as listed: never the hash. */
export type UserView = Omit<UserRecord, 'password_hash'>;

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new DeviceError('WEAK_PASSWORD', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new DeviceError('WEAK_PASSWORD', `the password may have at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** A hash of nothing anyone knows: an unknown name costs the same scrypt as a known one. */
let decoy: Promise<string> | undefined;

/**
 * People who sign in, in the shared document `users` (`<dataDir>/registry/users.json`, or Redis beside the
 * tokens). Passwords are hashed with scrypt (memory-hard, on the hub's scrypt worker threads, never on the
 * thread pool the spool's `fdatasync` uses); a password is never stored, printed or logged.
 */
export class UserStore {
  private constructor(private readonly doc: JsonDoc<UsersFile>) {}

  static async open(opts: SharedDocOptions): Promise<UserStore> {
    return new UserStore(await JsonDoc.open('users', opts, UsersFile, () => ({ version: 1 as const, users: [] }), 'a users file'));
  }

  get location(): string {
    return this.doc.location;
  }

  close(): Promise<void> {
    return this.doc.close();
  }

  get(name: string): UserRecord | undefined {
    return this.doc.value().users.find((u) => u.name === name);
  }

  list(): UserView[] {
    return this.doc.value().users.map(({ password_hash: _h, ...u }) => u);
  }

  async add(name: string, role: string, password: string): Promise<UserView> {
    if (!USER_NAME_PATTERN.test(name)) throw new DeviceError('BAD_USER', 'a user name is 1–64 letters, digits or ._@-');
    const r = Role.safeParse(role);
    if (!r.success) throw new DeviceError('BAD_ROLE', `role must be one of ${Role.options.join(', ')}`);
    checkPassword(password);
    const hash = await hashSecret(password);
    const now = new Date().toISOString();
    const rec: UserRecord = { name, role: r.data, password_hash: hash, enabled: true, created_at: now, password_set_at: now };
    await this.doc.mutate((f) => {
      if (f.users.some((u) => u.name === name)) throw new DeviceError('DUPLICATE_USER', `a user ${name} exists already`);
      f.users.push(rec);
    });
    const { password_hash: _h, ...view } = rec;
    return view;
  }

  private async change(name: string, fn: (u: UserRecord) => void): Promise<void> {
    await this.doc.mutate((f) => {
      const u = f.users.find((x) => x.name === name);
      if (!u) throw new DeviceError('UNKNOWN_USER', `no user ${name}`);
      fn(u);
    });
  }

  /** Disables or enables a user: a disabled user's sessions end at their next request. */
  setEnabled(name: string, enabled: boolean): Promise<void> {
    return this.change(name, (u) => { u.enabled = enabled; });
  }

  /** Sets a new password (rotation): the user's sessions signed in before end. */
  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password);
    if (!this.get(name)) throw new DeviceError('UNKNOWN_USER', `no user ${name}`);
    const hash = await hashSecret(password);
    const at = new Date().toISOString();
    await this.change(name, (u) => { u.password_hash = hash; u.password_set_at = at; });
  }

  /** The enabled user whose password this is, or null; an unknown or disabled name costs a scrypt all the same. */
  async verify(name: string, password: string): Promise<UserRecord | null> {
    const u = this.get(name);
    if (password.length > MAX_PASSWORD_LENGTH) return null;
    if (!u) {
      decoy ??= hashSecret('decoy');
      await verifySecret(password, await decoy);
      return null;
    }
    const ok = await verifySecret(password, u.password_hash);
    return ok && u.enabled ? u : null;
  }
}
