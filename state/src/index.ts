/**
 * The documents every node of a hub shares (the device registry, API tokens, alert rules and the alert
 * engine's state): a file under the data directory on one machine, or a Redis key when several nodes share
 * them. The SharedDocument interface itself is in contracts.
 */
export { StateError, STATE_ERRORS, isStateError, type StateErrorCode } from './errors.js';
export { openSharedDocument, sharedDocPath, SHARED_DOC_NAMES, type SharedDocName, type SharedDocOptions } from './shared-doc.js';
export { FileDocument } from './file-doc.js';
export { RedisDocument, type RedisDocumentOptions } from './redis-doc.js';
export { withFileLock, type LockOptions } from './file-lock.js';
export { writeFileAtomic, fsyncDir } from './atomic-write.js';
