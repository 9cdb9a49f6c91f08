/**
 * A small JSON document that several processes share and change: the device registry, the API tokens, the
 * alert rules. One hub keeps each in a file under its data directory; several broker nodes keep them in
 * Redis, so that every node, api node and the CLI see the same one.
 *
 * Reads are synchronous and served from what the process last saw (a broker authenticates on every
 * connect); `update` is atomic across processes.
 */
export interface SharedDocument {
  /** Where the document lives, for messages: a file path or `redis://…#key`. */
  readonly location: string;
  /**
   * The document's text as last seen, and a stamp that changes with every version (null text: it does
   * not exist yet). A file document checks the file (one `stat`); a Redis document answers from memory,
   * kept current by a subscription.
   */
  read(): { text: string | null; stamp: string };
  /**
   * Changes the document atomically across processes: `fn` gets the freshest text and returns the new text
   * (or `undefined` to leave it unchanged) and a result, which `update` resolves with. `fn` may throw to
   * abort; nothing is written then. It may run more than once (Redis retries when another writer won).
   */
  update<T>(fn: (text: string | null) => { text?: string; result: T }): Promise<T>;
  /** Fetches the newest version now (a Redis document between notifications); a file document has nothing to do. */
  sync(): Promise<void>;
  close(): Promise<void>;
}
