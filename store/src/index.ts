export * from './types.js';
export * from './errors.js';
export * from './validate.js';
export { createDuckDbStore, type DuckDbStoreOptions } from './duckdb/duckdb-store.js';
// The conformance suite imports vitest, so it has its own entry: `@cityhub/store/conformance`.
