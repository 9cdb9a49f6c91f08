// The compose files cannot be started here (no Docker engine on the test machines), so this checks them
// against what the hub really accepts: the `cityhub` commands, the config schema, the simulator's flags, and
// each other (URLs that name services on the ports they listen on, the load balancer's nodes, InfluxDB's setup).
// The checks are in compose/check.ts; what they read of the compose format, in compose/format.ts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCompose, requiredSet } from './compose/check.js';
import { diskFiles, interpolate, loadCompose, mounts, ROOT, type Files, type Service } from './compose/format.js';

type Json = Record<string, unknown>;
const mapping = (v: unknown): Json => {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
  throw new Error(`not a mapping: ${JSON.stringify(v)}`);
};
const service = (doc: Json, name: string) => mapping(mapping(doc.services)[name]);
const environment = (doc: Json, name: string) => mapping(service(doc, name).environment);
const servicesWith = (doc: Json, cmd: string) => Object.entries(mapping(doc.services))
  .filter(([, s]) => Array.isArray(mapping(s).command) && (mapping(s).command as string[])[2] === cmd).map(([n]) => n);

describe('docker-compose.yml: the split deployment', () => {
  const doc = loadCompose('docker-compose.yml');

  it('runs brokers behind a TCP balancer, an api, the simulator, Redis and InfluxDB, and passes every check', () => {
    expect(servicesWith(doc, 'broker').length).toBeGreaterThanOrEqual(2);
    expect(servicesWith(doc, 'api')).toHaveLength(1);
    expect(servicesWith(doc, 'devices')).toHaveLength(1);
    expect(service(doc, 'redis').image).toMatch(/^redis:7/);
    expect(service(doc, 'influxdb').image).toMatch(/^influxdb:2/);
    expect(service(doc, 'mqtt').ports).toEqual(['8883:8883']);
    expect(service(doc, servicesWith(doc, 'api')[0]!).ports).toEqual(['8080:8080']);
    expect(readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8')).toMatch(/^\s*balance leastconn\b/m);
    expect(checkCompose(doc, diskFiles)).toEqual([]);
  });

  // Each mutation breaks one thing a deployment needs; the checks above must name it.
  const mutations: Array<{ name: string; expected: RegExp; mutate: (d: Json) => void; files?: Record<string, string> }> = [
    {
      name: 'a renamed environment variable',
      expected: /broker-2: INFLUXDB_TOKEN_FILE is not a configuration variable/,
      mutate: (d) => {
        const e = environment(d, 'broker-2');
        e.INFLUXDB_TOKEN_FILE = e.INFLUX_TOKEN_FILE;
        delete e.INFLUX_TOKEN_FILE;
      },
    },
    { name: 'an unknown command', expected: /"brokers" is not a cityhub command/, mutate: (d) => void ((service(d, 'broker-1').command as string[])[2] = 'brokers') },
    { name: 'an unknown simulator flag', expected: /--broker is not a "devices simulate" option/, mutate: (d) => void ((service(d, 'simulator').command as string[])[4] = '--broker') },
    { name: 'a value the schema refuses', expected: /api: CITYHUB_NODE_SECRET: at least 16 characters/, mutate: (d) => void (environment(d, 'api').CITYHUB_NODE_SECRET = 'short') },
    { name: 'a broker on DuckDB', expected: /broker-1: cityhub broker needs CITYHUB_STORE=influxdb/, mutate: (d) => void (environment(d, 'broker-1').CITYHUB_STORE = 'duckdb') },
    { name: 'a hard-coded secret on one node', expected: /CITYHUB_NODE_SECRET differs .* with every \$\{VAR\} set/, mutate: (d) => void (environment(d, 'api').CITYHUB_NODE_SECRET = 'cityhub-dev-node-secret-change-me') },
    { name: 'an org InfluxDB was not set up with', expected: /broker-1: INFLUX_ORG "thessaloniki" is not the DOCKER_INFLUXDB_INIT_ORG "athens"/, mutate: (d) => void (environment(d, 'influxdb').DOCKER_INFLUXDB_INIT_ORG = 'athens') },
    { name: 'a URL naming no service', expected: /api: INFLUX_URL names "influx", which is not a service/, mutate: (d) => void (environment(d, 'api').INFLUX_URL = 'http://influx:8086') },
    { name: 'a URL on the wrong port', expected: /api: CITYHUB_BROKER_URL mqtt:\/\/mqtt:1884: mqtt listens on 1883/, mutate: (d) => void (environment(d, 'api').CITYHUB_BROKER_URL = 'mqtt://mqtt:1884') },
    { name: 'a simulator aimed past the balancer', expected: /simulator: --mqtt names "broker", which is not a service/, mutate: (d) => void ((service(d, 'simulator').command as string[])[5] = 'mqtt://broker:1883') },
    {
      name: 'a missing healthcheck',
      expected: /^redis: no healthcheck$[\s\S]*^broker-1: waits for redis to be healthy, which has no healthcheck$/m,
      mutate: (d) => void delete service(d, 'redis').healthcheck,
    },
    { name: 'a dependency on no service', expected: /api: depends on "brokers", which is not a service/, mutate: (d) => void (mapping(service(d, 'api').depends_on).brokers = { condition: 'service_started' }) },
    { name: 'a healthcheck on the wrong port', expected: /broker-2: the healthcheck asks port 8080, the node serves HTTP on 9090/, mutate: (d) => void (environment(d, 'broker-2').CITYHUB_HTTP_PORT = '9090') },
    { name: 'two nodes on one spool volume', expected: /volume "broker-1-data" is mounted by broker-1 and broker-2/, mutate: (d) => void (service(d, 'broker-2').volumes = ['broker-1-data:/data']) },
    { name: 'a node without its data volume', expected: /broker-2: no volume at CITYHUB_DATA_DIR/, mutate: (d) => void delete service(d, 'broker-2').volumes },
    { name: 'a node moved to another MQTT port', expected: /mqtt: the HAProxy config has no server broker-2:1884/, mutate: (d) => void (environment(d, 'broker-2').CITYHUB_MQTT_PORT = '1884') },
    {
      name: 'a balancer that forgets a node',
      expected: /mqtt: the HAProxy config has no server broker-2:1883/,
      mutate: () => undefined,
      files: { 'deploy/haproxy.cfg': (diskFiles.read('deploy/haproxy.cfg') ?? '').replace(/^\s*server broker-2 .*$/m, '') },
    },
    {
      name: 'a hub given InfluxDB\'s admin token',
      expected: /^api: INFLUX_TOKEN is InfluxDB's all-access admin token[\s\S]*^api: INFLUX_TOKEN holds InfluxDB's admin token with every \$\{VAR\} set$/m,
      mutate: (d) => {
        const e = environment(d, 'api');
        e.INFLUX_TOKEN = '${INFLUXDB_ADMIN_TOKEN:?set it}';
        delete e.INFLUX_TOKEN_FILE;
      },
    },
    { name: 'a token volume the hub may write', expected: /broker-2: mounts "influxdb-token" writable/, mutate: (d) => void ((service(d, 'broker-2').volumes as string[])[1] = 'influxdb-token:/run/cityhub') },
    { name: 'a hub that does not wait for its token', expected: /api: does not wait for influxdb-token to complete successfully/, mutate: (d) => void delete mapping(service(d, 'api').depends_on)['influxdb-token'] },
    { name: 'a token made for another bucket', expected: /influxdb-token: HUB_INFLUX_BUCKET "other" is not broker-1's INFLUX_BUCKET "cityhub"/, mutate: (d) => void (environment(d, 'influxdb-token').HUB_INFLUX_BUCKET = 'other') },
    { name: 'a token job run again and again', expected: /influxdb-token: restart "unless-stopped" would run it again/, mutate: (d) => void (service(d, 'influxdb-token').restart = 'unless-stopped') },
    ...([
      ['an all-access token', '--all-access'],
      ['a token that reads every bucket', '--read-buckets --write-bucket "$bucket_id"'],
      ['a token that may also manage tokens', '--read-bucket "$bucket_id" --write-bucket "$bucket_id" --write-authorizations'],
    ] as const).map(([name, grant]) => ({
      name,
      expected: new RegExp(`influxdb-token: deploy/influxdb/hub-token\\.sh: influx auth create ${grant.split(' ').find((f) => !/^--(read|write)-bucket$|^"/.test(f))} grants more than the bucket's read and write`),
      mutate: () => undefined,
      files: { 'deploy/influxdb/hub-token.sh': (diskFiles.read('deploy/influxdb/hub-token.sh') ?? '').replace('--read-bucket "$bucket_id" --write-bucket "$bucket_id"', grant) },
    })),
    {
      name: 'an init script without the DBRP mapping',
      expected: /influxdb: no executable \*\.sh in \/docker-entrypoint-initdb\.d runs "influx v1 dbrp create"/,
      mutate: () => undefined,
      files: { 'deploy/influxdb/init/10-cityhub-dbrp.sh': '#!/bin/bash\ntrue\n' },
    },
  ];

  it.each(mutations)('catches $name', ({ mutate, expected, files }) => {
    const copy = JSON.parse(JSON.stringify(doc)) as Json;
    mutate(copy);
    const swapped: Files = { ...diskFiles, read: (rel) => files?.[rel] ?? diskFiles.read(rel) };
    expect(checkCompose(copy, swapped).join('\n')).toMatch(expected);
  });
});

describe('docker-compose.yml and the image: safe to deploy as shipped', () => {
  const doc = loadCompose('docker-compose.yml');
  const SECRETS = ['INFLUXDB_ADMIN_TOKEN', 'INFLUXDB_ADMIN_PASSWORD', 'CITYHUB_NODE_SECRET', 'CITYHUB_DEVICE_SECRET_KEY', 'REDIS_PASSWORD', 'CITYHUB_TLS_PEM'];

  it('has no default for any secret: unset or empty, each is refused (here and by docker-compose config)', () => {
    expect(Object.keys(requiredSet(doc)).sort()).toEqual([...SECRETS].sort());
    const problems: string[] = [];
    interpolate(doc, { INFLUXDB_ADMIN_TOKEN: '' }, problems);
    for (const k of SECRETS) expect(problems.join('\n')).toContain(`\${${k}} must be set`);
    expect(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')).not.toMatch(/change-me/);
    const compose = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    if (compose.error) throw new Error(`docker-compose is needed (apt-get install docker-compose): ${compose.error.message}`);
    expect(compose.status).not.toBe(0);
    expect(compose.stderr).toMatch(/INFLUXDB_ADMIN_TOKEN|REDIS_PASSWORD|CITYHUB_NODE_SECRET|CITYHUB_TLS_PEM|INFLUXDB_ADMIN_PASSWORD/);
    // With every secret set (the certificate as a path), docker-compose takes the file as it is.
    const secrets = { ...requiredSet(doc), CITYHUB_TLS_PEM: '/etc/cityhub/mqtt.pem' };
    const set = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...secrets } });
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
  });

  it('publishes MQTT over TLS only, keeps plain MQTT inside the network, and asks Redis for a password', () => {
    const env = requiredSet(doc);
    const w = interpolate(doc, env, []) as Json;
    const haproxy = readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8');
    expect(haproxy).toMatch(/^\s*bind :8883 ssl crt \/usr\/local\/etc\/haproxy\/certs\/cityhub\.pem$/m);
    expect(mounts(service(w, 'mqtt') as Service).map((m) => m.target)).toContain('/usr/local/etc/haproxy/certs/cityhub.pem');
    for (const [name, s] of Object.entries(mapping(w.services))) {
      for (const p of (mapping(s).ports ?? []) as string[]) expect(`${name} ${p}`).not.toMatch(/:1883$|6379|8086/);
    }
    expect(service(w, 'redis').command).toEqual(expect.arrayContaining(['--requirepass', env.REDIS_PASSWORD]));
    expect(environment(w, 'redis').REDISCLI_AUTH).toBe(env.REDIS_PASSWORD);
    for (const name of ['broker-1', 'broker-2', 'api', 'simulator']) expect(new URL(String(environment(w, name).CITYHUB_REDIS_URL)).password).toBe(env.REDIS_PASSWORD);
  });

  it('keeps every spool on a volume, rotates every log, and builds a non-root image on Node 22 with tini and a healthcheck', () => {
    for (const name of ['broker-1', 'broker-2', 'api', 'simulator']) {
      expect(mounts(service(doc, name) as Service).find((m) => m.target === environment(doc, name).CITYHUB_DATA_DIR)?.named, name).toBe(true);
    }
    for (const [name, s] of Object.entries(mapping(doc.services))) expect(Object.keys(mapping(mapping(mapping(s).logging).options)), name).toEqual(['max-size', 'max-file']);
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = docker.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = stages[stages.length - 1]!;
    expect(runtime).toMatch(/^node:22-/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(docker).toMatch(/npm prune --omit=dev/);
  });

  it('gives the hub an InfluxDB token scoped to its bucket, made before it starts; the admin token stays with InfluxDB', () => {
    const env = requiredSet(doc);
    const w = interpolate(doc, env, []) as Json;
    const admin = String(environment(w, 'influxdb').DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(admin).toBe(env.INFLUXDB_ADMIN_TOKEN);
    const holders = Object.keys(mapping(w.services)).filter((name) => Object.values(mapping(service(w, name).environment ?? {})).includes(admin));
    expect(holders.sort()).toEqual(['influxdb', 'influxdb-token']);
    for (const name of ['broker-1', 'broker-2', 'api']) {
      expect(environment(w, name).INFLUX_TOKEN, name).toBeUndefined();
      expect(environment(w, name).INFLUX_TOKEN_FILE, name).toBe('/run/cityhub/influx-token');
      expect(mounts(service(w, name) as Service), name).toContainEqual({ source: 'influxdb-token', target: '/run/cityhub', named: true, readOnly: true });
      expect(mapping(service(w, name).depends_on)['influxdb-token'], name).toEqual({ condition: 'service_completed_successfully' });
    }
    const job = environment(w, 'influxdb-token');
    expect(job).toMatchObject({ INFLUX_TOKEN: admin, HUB_TOKEN_FILE: '/run/cityhub/influx-token', HUB_INFLUX_BUCKET: 'cityhub', HUB_UID: '1000' });
    const script = readFileSync(join(ROOT, 'deploy/influxdb/hub-token.sh'), 'utf8').replace(/\\\n\s*/g, '');
    // Read and write on that one bucket: no other grant.
    expect(script).toMatch(/^created=\$\(influx auth create --org-id "\$org_id" --read-bucket "\$bucket_id" --write-bucket "\$bucket_id" --description "[^"]*" --json\)$/m);
    expect(script).not.toMatch(/--all-access|--operator|-buckets\b/);
    expect(checkCompose(doc, diskFiles)).toEqual([]);
  });
});

describe('docker-compose.single.yml: everything in one container', () => {
  const doc = loadCompose('docker-compose.single.yml');

  it('runs cityhub start on DuckDB with its data in a volume, and passes every check', () => {
    const names = Object.keys(mapping(doc.services));
    expect(names).toEqual(servicesWith(doc, 'start'));
    expect(names).toHaveLength(1);
    expect(environment(doc, names[0]!).CITYHUB_STORE).toBe('duckdb');
    expect(service(doc, names[0]!).ports).toEqual(['8080:8080', '1883:1883']);
    expect(checkCompose(doc, diskFiles)).toEqual([]);
  });

  it('catches a renamed variable and a published port nobody listens on', () => {
    const copy = JSON.parse(JSON.stringify(doc)) as Json;
    const e = environment(copy, 'cityhub');
    e.CITYHUB_HTTP_PORTS = e.CITYHUB_HTTP_PORT;
    delete e.CITYHUB_HTTP_PORT;
    const problems = checkCompose(copy, diskFiles).join('\n');
    expect(problems).toMatch(/cityhub: CITYHUB_HTTP_PORTS is not a configuration variable/);
    // Named by the compose check and by the hub's own configuration check (with the nearest valid name).
    expect(checkCompose(copy, diskFiles).every((p) => p.includes('CITYHUB_HTTP_PORTS'))).toBe(true);
    service(copy, 'cityhub').ports = ['8081:8081'];
    expect(checkCompose(copy, diskFiles).join('\n')).toMatch(/cityhub: publishes 8081, which it does not listen on/);
  });
});
