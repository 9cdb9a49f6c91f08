import { describe, expect, it } from 'vitest';
import { parseDeviceStatus, parseTopic, statusTopic, telemetryTopic } from './topics.js';

describe('topics', () => {
  it('builds and parses device topics', () => {
    expect(telemetryTopic('traffic', 'tr-1234')).toBe('city/traffic/tr-1234/telemetry');
    expect(parseTopic(statusTopic('wifi', 'wf-abc'))).toEqual({ kind: 'wifi', deviceId: 'wf-abc', channel: 'status' });
  });
  it.each([
    'city/traffic/tr-1/telemetry/extra', 'city/bus/tr-123/telemetry', 'city/traffic/+/telemetry', 'city/traffic/#',
    'town/traffic/tr-123/telemetry', 'city/traffic/TR-123/telemetry', 'city/traffic/tr-123/config', '$SYS/broker', '',
  ])('refuses %j', (t) => expect(parseTopic(t)).toBeNull());
  it('answers a topic asked again with the same frozen parse, and past 20,000 device topics still parses each', () => {
    const first = parseTopic('city/energy/en-memo/telemetry');
    expect(parseTopic('city/energy/en-memo/telemetry')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    for (let i = 0; i < 20_050; i++) expect(parseTopic(`city/traffic/tr-m${i}/status`)?.deviceId).toBe(`tr-m${i}`);
    expect(parseTopic('city/energy/en-memo/telemetry')).toEqual({ kind: 'energy', deviceId: 'en-memo', channel: 'telemetry' });
    expect(parseTopic('city/traffic/#')).toBeNull();
  });
  it('reads a status payload: online or offline, from text or bytes, and nothing else', () => {
    expect(parseDeviceStatus('online')).toBe('online');
    expect(parseDeviceStatus(Buffer.from('offline'))).toBe('offline');
    for (const p of ['Online', 'online ', '', '{"status":"online"}']) expect(parseDeviceStatus(p)).toBeUndefined();
  });
});
