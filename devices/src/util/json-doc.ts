import type { SharedDocument } from '@cityhub/contracts';
import type { z } from 'zod';
import { DeviceError } from '../errors.js';
import { openDeviceDocument } from '../registry/device-doc.js';
import type { SharedDocOptions } from '@cityhub/state';

/**
 * A JSON document of a zod schema in a {@link SharedDocument}: `value` is the freshest version known (a cheap
 * `stat` of the file, or the Redis copy in memory), `mutate` one atomic change of the freshest stored one.
 */
export class JsonDoc<T> {
  private cached: T;
  private stamp = '';
  /** A version that failed to parse: not parsed again. */
  private badStamp = '';

  private constructor(private readonly doc: SharedDocument, private readonly schema: z.ZodType<T>, private readonly empty: () => T, private readonly what: string,
    private readonly indent: number) {
    this.cached = empty();
  }

  /**
   * Opens document `name`; REGISTRY_CORRUPT when what is stored does not fit `schema` (`what` names it in
   * the message). `indent`: written with this indentation, for documents people read.
   */
  static async open<T>(name: 'tokens' | 'users' | 'sessions' | 'audit', opts: SharedDocOptions, schema: z.ZodType<T>, empty: () => T, what: string, indent = 0): Promise<JsonDoc<T>> {
    const doc = await openDeviceDocument(name, opts);
    const d = new JsonDoc(doc, schema, empty, what, indent);
    try {
      const { text, stamp } = doc.read();
      d.cached = d.parse(text);
      d.stamp = stamp;
    } catch (e) {
      await doc.close();
      throw e;
    }
    return d;
  }

  /** Where it lives: the file, or `redis://…#cityhub:doc:<name>`. */
  get location(): string {
    return this.doc.location;
  }

  close(): Promise<void> {
    return this.doc.close();
  }

  /** Fetches the newest stored version now (a Redis document between its announcements). */
  sync(): Promise<void> {
    return this.doc.sync();
  }

  private parse(text: string | null): T {
    if (text === null) return this.empty();
    try {
      return this.schema.parse(JSON.parse(text));
    } catch (e) {
      throw new DeviceError('REGISTRY_CORRUPT', `${this.doc.location} is not ${this.what}: ${(e as Error).message}`);
    }
  }

  /** The freshest version known; an unreadable or corrupt version keeps what was known. */
  value(): T {
    let snap: { text: string | null; stamp: string };
    try {
      snap = this.doc.read();
    } catch {
      return this.cached;
    }
    if (snap.stamp !== this.stamp && snap.stamp !== this.badStamp) {
      try {
        this.cached = this.parse(snap.text);
        this.stamp = snap.stamp;
      } catch {
        this.badStamp = snap.stamp;
      }
    }
    return this.cached;
  }

  /** One atomic change of the freshest version; `fn` may throw to abort, and may run more than once. */
  async mutate<R>(fn: (v: T) => R): Promise<R> {
    const out = await this.doc.update((text) => {
      const v = this.parse(text);
      const result = fn(v);
      return { text: JSON.stringify(v, null, this.indent || undefined), result };
    });
    this.value();
    return out;
  }
}
