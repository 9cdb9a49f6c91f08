/**
 * The hub's contracts: topics, reading schemas, catalogue and API types, configuration. Everything here is
 * safe in a browser; the catalogue loader (Node only) is `@cityhub/contracts/catalogue`.
 */
export * from './kinds.js';
export * from './topics.js';
export * from './readings.js';
export * from './feedback.js';
export * from './gateway.js';
export * from './assets.js';
export * from './api.js';
export * from './config.js';
export * from './registry.js';
export * from './people.js';
export * from './rules.js';
export * from './city-time.js';
export * from './logger.js';
export * from './errors.js';
export type * from './shared-doc.js';
