import { createConnection } from 'node:net';
import { PassThrough } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient, type IClientOptions } from 'mqtt';

/**
 * An mqtt.js client whose network can be cut: while `cut()` is true every connection attempt fails at
 * once, as it does on a device whose uplink is down, and mqtt.js keeps retrying at its reconnect period.
 * Unlike `end()` and `reconnect()`, this keeps the client's session stores, so QoS 1 messages in flight
 * when the network went down are sent again once it is back, as a real device does.
 */
export function connectDevice(url: string, opts: IClientOptions, cut: () => boolean): MqttClient {
  const u = new URL(url);
  const secure = u.protocol === 'mqtts:';
  if (!secure && u.protocol !== 'mqtt:') throw new Error(`unsupported broker URL ${url}: use mqtt:// or mqtts://`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (secure ? 8883 : 1883));
  return new MqttClient(() => {
    if (cut()) {
      const s = new PassThrough();
      process.nextTick(() => s.destroy(Object.assign(new Error('network unreachable (simulated outage)'), { code: 'ENETUNREACH' })));
      return s;
    }
    const socket = secure ? tlsConnect({ host, port, servername: host }) : createConnection({ host, port });
    socket.setNoDelay(true);
    return socket;
  }, { protocol: secure ? 'mqtts' : 'mqtt', host, port, ...opts });
}
