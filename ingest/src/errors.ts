/** Coded ingest errors: callers match on `code`, people read `message`. */
export type IngestErrorCode =
  | 'SPOOL_IO' // the spool could not be written or read
  | 'SPOOL_CORRUPT' // a spool record failed its checksum away from the tail
  | 'SPOOL_CLOSED' // the spool was closed while a reading waited
  | 'DEVICE_UNKNOWN' // no such device
  | 'TOPIC_DENIED'; // a device published outside its own topics

export class IngestError extends Error {
  constructor(readonly code: IngestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestError';
  }
}
