export { createBroker, DEFAULT_LIMITS, type BrokerHooks, type BrokerLimits, type BrokerOptions, type LimitStats, type TelemetryVerdict, type RunningBroker, type LoginRefusal, type SessionCheck } from './broker.js';
export { AUTH_LIMITS, AuthGuard, type AuthLimits } from './auth-guard.js';
export { limitPacketSize, ConnectionsPerIp, PublishRate } from './limits.js';
export { publishRight, maySubscribe, mayServiceSubscribe, isStatusPayload, type DeviceIdentity, type ServiceIdentity } from './acl.js';
export { SubscriptionLimit, type SubscriptionRefusal } from './limits.js';
export { UNRELAYED_TOPIC } from './publish.js';
