import { afterEach, describe, expect, it } from 'vitest';
import { city, setCityZone } from './city.js';

describe('the city clock', () => {
  afterEach(() => setCityZone('Europe/Athens'));

  it('is Athens until the configuration names a zone, then that zone; an unknown zone keeps the one in use', () => {
    const t = Date.parse('2026-01-15T10:00:00Z');
    expect(city().zone).toBe('Europe/Athens');
    expect(city().hour(t)).toBe(12);
    setCityZone('Asia/Kathmandu');
    expect(city().toLocalInput(t)).toBe('2026-01-15T15:45');
    setCityZone('Mars/Olympus');
    expect(city().zone).toBe('Asia/Kathmandu');
  });
});
