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
  it('refuses a misspelt variable and names the nearest one', () => {
    expect(() => parseConfig({ CITYHUB_INGEST_MQTT_CLIENT_ID: 'x' })).toThrow(/CITYHUB_INGEST_MQTT_CLIENT_ID: not a configuration variable; did you mean CITYHUB_INGEST_CLIENT_ID\?/);
    expect(() => parseConfig({ INFLUX_BUKET: 'city' })).toThrow(/did you mean INFLUX_BUCKET\?/);
    // InfluxDB's own variables and the test suite's switches are not the hub's, and are let be.
    expect(parseConfig({ INFLUX_HOST: 'http://influx:8086', CITYHUB_SOAK: '1' }).CITYHUB_STORE).toBe('duckdb');
  });
  it('refuses the published example secrets', () => {
    expect(() => parseConfig({ CITYHUB_NODE_SECRET: 'cityhub-dev-node-secret-change-me' })).toThrow(/CITYHUB_NODE_SECRET: this is the published example value/);
    expect(() => parseConfig({ CITYHUB_STORE: 'influxdb', INFLUX_URL: 'http://i:8086', INFLUX_BUCKET: 'b', INFLUX_TOKEN: 'cityhub-dev-token-change-me' })).toThrow(/INFLUX_TOKEN: this is the published example value/);
    expect(parseConfig({ CITYHUB_NODE_SECRET: 'a-real-secret-of-32-characters!!' }).CITYHUB_NODE_SECRET).toBe('a-real-secret-of-32-characters!!');
  });
  it('takes the InfluxDB token from a file, or from the variable, never both', () => {
    const influx = { CITYHUB_STORE: 'influxdb', INFLUX_URL: 'http://i:8086', INFLUX_BUCKET: 'b' };
    expect(parseConfig({ ...influx, INFLUX_TOKEN_FILE: '/run/cityhub/influx-token' }).INFLUX_TOKEN_FILE).toBe('/run/cityhub/influx-token');
    expect(() => parseConfig({ ...influx, INFLUX_TOKEN: 't', INFLUX_TOKEN_FILE: '/run/cityhub/influx-token' })).toThrow(/INFLUX_TOKEN, INFLUX_TOKEN_FILE: give one or the other/);
  });
  it('takes OpenID Connect sign-in when an issuer is set, with a client id and at most one form of the secret', () => {
    const c = parseConfig({ CITYHUB_OIDC_ISSUER: 'https://id.example.org/realms/city', CITYHUB_OIDC_CLIENT_ID: 'cityhub' });
    expect(c).toMatchObject({ CITYHUB_OIDC_ROLE_CLAIM: 'groups', CITYHUB_OIDC_DEFAULT_ROLE: 'viewer', CITYHUB_OIDC_NAME: 'single sign-on', CITYHUB_OIDC_SCOPES: 'openid profile email' });
    expect(() => parseConfig({ CITYHUB_OIDC_ISSUER: 'https://id.example.org' })).toThrow(/CITYHUB_OIDC_CLIENT_ID: required with CITYHUB_OIDC_ISSUER/);
    expect(() => parseConfig({ CITYHUB_OIDC_ISSUER: 'https://id.example.org', CITYHUB_OIDC_CLIENT_ID: 'c', CITYHUB_OIDC_CLIENT_SECRET: 's', CITYHUB_OIDC_CLIENT_SECRET_FILE: '/run/s' }))
      .toThrow(/CITYHUB_OIDC_CLIENT_SECRET, CITYHUB_OIDC_CLIENT_SECRET_FILE: give one or the other/);
    expect(() => parseConfig({ CITYHUB_OIDC_DEFAULT_ROLE: 'operator' })).toThrow(/CITYHUB_OIDC_DEFAULT_ROLE/);
    expect(() => parseConfig({ CITYHUB_OIDC_CLIENT_SECRET: 'change-me' })).toThrow(/CITYHUB_OIDC_CLIENT_SECRET: this is the published example value/);
  });
  it('lists its variables', () => {
    expect(CONFIG_VARIABLES).toContain('CITYHUB_REDIS_URL');
  });
});
