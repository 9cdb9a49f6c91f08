export { buildApp, type BuildOptions } from './app.js';
export type { ApiDeps, ApiMetrics, DeviceAccounting, ReadyCheck } from './deps.js';
export { ApiError, ERRORS, type ApiErrorCode } from './errors.js';
export { SERIES_LIMITS } from './routes/series.js';
export { LIVE_LIMITS } from './routes/live.js';
