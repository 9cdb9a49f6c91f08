import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger, SharedDocument } from '@cityhub/contracts';
import { FileDocument } from './file-doc.js';
import type { LockOptions } from './file-lock.js';
import { RedisDocument } from './redis-doc.js';

/** The documents every node of a hub shares. */
export const SHARED_DOC_NAMES = ['devices', 'tokens', 'rules', 'alerts', 'users', 'sessions', 'audit'] as const;
export type SharedDocName = (typeof SHARED_DOC_NAMES)[number];

/** Where each document lives under the data directory without Redis: where it always has. */
const FILES: Record<SharedDocName, readonly string[]> = {
  devices: ['registry', 'devices.json'],
  tokens: ['registry', 'tokens.json'],
  rules: ['rules.json'],
  // The alert engine's state (how long each condition has held, which alerts are open).
  alerts: ['alerts', 'state.json'],
  // People who sign in, their sessions and sign-in failures, and the audit log of what they did.
  users: ['registry', 'users.json'],
  sessions: ['registry', 'sessions.json'],
  audit: ['audit', 'log.json'],
};

/** Options of {@link openSharedDocument}. */
export interface SharedDocOptions {
  /** CITYHUB_DATA_DIR: the document is a file under it when there is no Redis. */
  dataDir: string;
  /** CITYHUB_REDIS_URL: keep the document in this Redis (`cityhub:doc:<name>`), shared by every node. */
  redisUrl?: string | undefined;
  logger?: Logger | undefined;
  /** The file's lock: how long an update waits for it, and when a dead holder's lock is taken over. */
  lock?: LockOptions | undefined;
  /** Redis only: how often to check for a version a lost notification did not announce (ms; default 2000). */
  refetchMs?: number | undefined;
  /** Redis only: how long to wait for a connection, at open and during an update (ms; default 10000). */
  connectTimeoutMs?: number | undefined;
}

/** The file a document is kept in without Redis: `<dataDir>/registry/devices.json`, `…/tokens.json`, `<dataDir>/rules.json`. */
export function sharedDocPath(name: SharedDocName, dataDir: string): string {
  return join(dataDir, ...FILES[name]);
}

/**
 * Opens one of the hub's shared documents: in Redis when `redisUrl` is given (it resolves once the current
 * version is fetched; STATE_UNAVAILABLE when Redis does not answer), otherwise in its file under `dataDir`
 * (its folder is created, mode 0700). The caller closes it.
 */
export async function openSharedDocument(name: SharedDocName, opts: SharedDocOptions): Promise<SharedDocument> {
  if (opts.redisUrl) {
    return RedisDocument.open(opts.redisUrl, name, {
      ...(opts.logger && { logger: opts.logger }),
      ...(opts.refetchMs !== undefined && { refetchMs: opts.refetchMs }),
      ...(opts.connectTimeoutMs !== undefined && { connectTimeoutMs: opts.connectTimeoutMs }),
    });
  }
  const path = sharedDocPath(name, opts.dataDir);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return new FileDocument(path, opts.lock);
}
