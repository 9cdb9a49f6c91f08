import { describe, expect, it } from 'vitest';
import { ConfigError, CONFIG_VARIABLES, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('has defaults for a one-command start', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ CITYHUB_DATA_DIR: './.data', CITYHUB_HTTP_PORT: 8080, CITYHUB_MQTT_PORT: 1883, CITYHUB_STORE: 'duckdb' });
    expect(c.CITYHUB_SIMULATE).toBeUndefined();
  });
  it('reports every problem at once', () => {
    let err: unknown;
    try {
      parseConfig({ CITYHUB_HTTP_PORT: 'eighty', CITYHUB_MQTT_PORT: '70000', CITYHUB_STORE: 'influxdb', CITYHUB_SIMULATE: '-1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const k of ['CITYHUB_HTTP_PORT', 'CITYHUB_MQTT_PORT', 'CITYHUB_SIMULATE', 'INFLUX_URL', 'INFLUX_BUCKET']) expect(problems).toContain(k);
  });
  it('lists its variables', () => {
    expect(CONFIG_VARIABLES).toContain('CITYHUB_REDIS_URL');
  });
});
