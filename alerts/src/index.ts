/**
 * Everything an alert is: the rules (kept in a shared document), the engine that evaluates them on readings
 * and device status, the notifications of its events, acknowledgement, and the lease by which one broker
 * node at a time runs the engine for all of them. The root wires these to the broker, ingest and the API.
 */
export { AlertEngine, type AlertEngineOptions } from './engine.js';
export { Baselines, usualTable, type BaselineOptions } from './baselines.js';
export { Notifier, signature, verifyWebhook, webhookHeaders, WEBHOOK_TOLERANCE_S, type NotifierOptions } from './notifier.js';
export { RuleFile, type RuleFileOptions } from './rule-file.js';
export { openAlerting, openAlertState, openRules, type Alerting, type PartLogger, type SharedPlace } from './alerting.js';
export { acknowledge } from './acknowledge.js';
export { publishAlert, type AlertBus, type BusListener } from './bus.js';
export { startAlertLeader, type AlertLeader, type AlertLeaderOptions } from './leader.js';
