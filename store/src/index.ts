export * from './types.js';
export * from './errors.js';
export * from './validate.js';
export { columnsFromSeries, roundTo, MAX_COLUMNAR_CELLS } from './columnar.js';
export { createDuckDbStore, type DuckDbStoreOptions } from './duckdb/duckdb-store.js';
export { reopening, isDeadHandle, type ReopenOptions, type ReopenLogger } from './reopen.js';
export { createInfluxStore, type InfluxStore, type InfluxStoreOptions } from './influx/influx-store.js';
export type { ServerInfo as InfluxServerInfo } from './influx/detect.js';
export * from './dead-letter-payload.js';
