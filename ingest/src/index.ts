export { Ingest, type IngestOptions, type AcceptResult, type Logger, type ReplayResult } from './ingest.js';
export { Writer, type WriterOptions, type WriterStats } from './writer.js';
export { Spool, type Position, type SpoolOptions, type SpoolEvent } from './spool/spool.js';
export { DeviceStatsBook } from './device-stats.js';
export { IngestError, type IngestErrorCode } from './errors.js';
export { encodeRecord, decodeRecord, type SpoolRecord } from '@cityhub/store';
