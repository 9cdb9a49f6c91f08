import { ALERT_TOPIC, type AlertEvent } from '@cityhub/contracts';

/** A message on the hub's bus. */
export type BusListener = (topic: string, payload: Buffer) => void;

/**
 * What alerts need of the hub's message bus (the broker's, shared by every node through Redis): the root
 * passes one built on its broker, so this workspace does not depend on the broker.
 */
export interface AlertBus {
  /** Publishes to subscribers on every node: QoS 0, not retained. */
  publish(topic: string, payload: Buffer): void;
  /** Listens to a topic filter; resolves once listening, with a function that stops listening. */
  subscribe(filter: string, listener: BusListener): Promise<() => Promise<void>>;
}

/** Publishes an alert event on `cityhub/alerts`, for subscribers on every node. */
export function publishAlert(bus: Pick<AlertBus, 'publish'>, ev: AlertEvent): void {
  bus.publish(ALERT_TOPIC, Buffer.from(JSON.stringify(ev)));
}
