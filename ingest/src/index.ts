export { Ingest, type IngestOptions, type AcceptResult, type Logger, type ReplayResult } from './ingest.js';
export { Writer, type WriterOptions, type WriterStats } from './writer.js';
export { Spool, type Position, type SpoolOptions, type SpoolEvent } from './spool/spool.js';
export { DeviceStatsBook, type DeviceStats } from './device-stats.js';
export { IngestError, type IngestErrorCode } from './errors.js';
export { encodeRecord, decodeRecord, type SpoolRecord } from './record.js';
export { AlertEngine, type AlertEngineOptions } from './alerts/engine.js';
export { Notifier, signature, type Delivery, type NotifierOptions } from './alerts/notifier.js';
export { RuleFile } from './alerts/rule-file.js';
