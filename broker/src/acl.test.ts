import { describe, expect, it } from 'vitest';
import { isStatusPayload, maySubscribe, publishRight } from './acl.js';

const dev = { id: 'tr-0001', kind: 'traffic' as const };

describe('publishRight', () => {
  it('lets a device publish its own telemetry and status', () => {
    expect(publishRight(dev, 'city/traffic/tr-0001/telemetry')).toBe('telemetry');
    expect(publishRight(dev, 'city/traffic/tr-0001/status')).toBe('status');
  });
  it.each([
    'city/traffic/tr-0002/telemetry', // another device
    'city/wifi/tr-0001/telemetry', // another kind
    'city/traffic/tr-0001/telemetry/x',
    'city/traffic/tr-0001',
    '$SYS/broker/clients',
    'city/traffic/tr-0001/config',
  ])('refuses %s', (t) => expect(publishRight(dev, t)).toBeNull());
});

describe('maySubscribe', () => {
  it('allows only the device\'s own subtree', () => {
    expect(maySubscribe(dev, 'city/traffic/tr-0001/#')).toBe(true);
    expect(maySubscribe(dev, 'city/traffic/tr-0001/status')).toBe(true);
    for (const f of ['#', 'city/#', 'city/traffic/+/telemetry', 'city/traffic/tr-0001/', 'city/traffic/tr-00011/#', '$SYS/#', 'city/traffic/tr-0002/#']) {
      expect(maySubscribe(dev, f)).toBe(false);
    }
  });
});

describe('isStatusPayload', () => {
  it('accepts online and offline only', () => {
    expect(isStatusPayload(Buffer.from('online'))).toBe(true);
    expect(isStatusPayload(Buffer.from('offline'))).toBe(true);
    expect(isStatusPayload(Buffer.from('ONLINE'))).toBe(false);
    expect(isStatusPayload(Buffer.from('{"status":"online"}'))).toBe(false);
  });
});
