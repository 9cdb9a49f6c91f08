export { createBroker, type BrokerHooks, type BrokerOptions, type BrokerLogger, type RunningBroker } from './broker.js';
export { publishRight, maySubscribe, isStatusPayload, type DeviceIdentity } from './acl.js';
