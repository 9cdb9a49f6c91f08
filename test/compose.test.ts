// The compose files cannot be started here (the test machines have no Docker engine), so this checks them against what
// the hub really accepts: the `cityhub` commands, the config schema, the simulator's flags, and each other
// (URLs that name services on the ports they listen on, the load balancer's nodes, InfluxDB's setup).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, parseConfig } from '@cityhub/contracts';
import { SIMULATE_HELP, simStatePath } from '@cityhub/simulator';
import { COMMANDS } from '../src/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---- The part of the compose file format checked here ---------------------------------------------------

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Service = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string() }).loose()]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(z.string(), Scalar), z.array(z.string())]).optional(),
  ports: z.array(z.union([z.string(), z.number(), z.object({ target: z.coerce.number() }).loose()])).optional(),
  expose: z.array(z.union([z.string(), z.number()])).optional(),
  volumes: z.array(z.union([z.string(), z.object({ type: z.string().optional(), source: z.string().optional(), target: z.string() }).loose()])).optional(),
  depends_on: z.union([
    z.array(z.string()),
    z.record(z.string(), z.object({ condition: z.string().default('service_started') }).loose()),
  ]).optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]).optional(), disable: z.boolean().optional() }).loose().optional(),
  restart: z.string().optional(),
  stop_grace_period: z.string().optional(),
}).loose();
type Service = z.infer<typeof Service>;
const ComposeFile = z.object({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.unknown()).nullable().optional(),
}).loose();

/** The files a compose file refers to, relative to the repository (a test may swap one's text). */
interface Files {
  exists: (rel: string) => boolean;
  /** A file's text; undefined for a folder or nothing. */
  read: (rel: string) => string | undefined;
  list: (rel: string) => string[];
  executable: (rel: string) => boolean;
  /** `bash -n`: null when the script parses, else bash's complaint. */
  shellSyntax: (rel: string) => string | null;
}
const diskFiles: Files = {
  exists: (rel) => existsSync(join(ROOT, rel)),
  read: (rel) => (statSync(join(ROOT, rel), { throwIfNoEntry: false })?.isFile() ? readFileSync(join(ROOT, rel), 'utf8') : undefined),
  list: (rel) => (statSync(join(ROOT, rel), { throwIfNoEntry: false })?.isDirectory() ? readdirSync(join(ROOT, rel)) : []),
  executable: (rel) => {
    try {
      accessSync(join(ROOT, rel), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  shellSyntax: (rel) => {
    const r = spawnSync('bash', ['-n', join(ROOT, rel)], { encoding: 'utf8' });
    return r.status === 0 ? null : r.stderr.trim() || `bash -n exited ${r.status}`;
  },
};

/** A compose file as YAML gives it: anchors and merge keys resolved, no object shared between two places. */
function loadCompose(rel: string): Record<string, unknown> {
  const text = diskFiles.read(rel);
  if (text === undefined) throw new Error(`${rel} is missing`);
  return JSON.parse(JSON.stringify(parse(text, { merge: true }))) as Record<string, unknown>;
}

// ---- Compose's ${VAR} interpolation ------------------------------------------------------------------------

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Every string of `value` interpolated as `docker compose` does, with `env` as the shell's environment. */
function interpolate(value: unknown, env: Record<string, string>, problems: string[], where = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (match, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const v = env[name];
      const unsetOrEmpty = v === undefined || v === '';
      switch (op) {
        case ':-': return unsetOrEmpty ? arg! : v;
        case '-': return v === undefined ? arg! : v;
        case ':+': return unsetOrEmpty ? '' : arg!;
        case '+': return v === undefined ? '' : arg!;
        case ':?':
        case '?':
          if (op === ':?' ? unsetOrEmpty : v === undefined) problems.push(`${where}: \${${name}} must be set (${arg})`);
          return v ?? '';
        default:
          if (v === undefined) problems.push(`${where}: \${${name}} has no default`);
          return v ?? '';
      }
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, problems, where ? `${where}.${k}` : k)]));
  }
  return value;
}

/** The names of every ${VAR} a document uses. */
function variables(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(VARIABLE)) if (m[0] !== '$$') into.add((m[1] ?? m[4])!);
  } else if (Array.isArray(value)) {
    for (const v of value) variables(v, into);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) variables(v, into);
  }
  return into;
}

// ---- Reading one service --------------------------------------------------------------------------------

const envOf = (s: Service): Record<string, string> => {
  if (!s.environment) return {};
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((e) => [e.split('=')[0]!, e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
  }
  return Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v === null ? '' : String(v)]));
};
const argv = (s: Service): string[] => (typeof s.command === 'string' ? s.command.split(/\s+/).filter(Boolean) : s.command ?? []);
const healthText = (s: Service): string => (Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.join(' ') : s.healthcheck?.test ?? '');
const containerPort = (p: string | number | { target: number }): number => {
  if (typeof p === 'object') return p.target;
  return Number(String(p).split(':').pop()!.split('/')[0]);
};
interface Mount { source: string | undefined; target: string; named: boolean }
const mounts = (s: Service): Mount[] => (s.volumes ?? []).map((v) => {
  if (typeof v === 'object') return { source: v.source, target: v.target, named: v.type === 'volume' || v.type === undefined };
  const [source, target] = v.split(':');
  if (target === undefined) return { source: undefined, target: source!, named: false };
  return { source, target, named: !/^[./~]/.test(source!) };
});
const hostPath = (source: string) => posix.normalize(source.replace(/^\.\//, ''));

/** Each SIMULATE_HELP option, with its leading dashes. */
const SIMULATE_FLAGS = new Set([...SIMULATE_HELP.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
const isCommand = (c: string | undefined): c is (typeof COMMANDS)[number] => (COMMANDS as readonly string[]).includes(c ?? '');
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'redis:': 6379, 'rediss:': 6379, 'mqtt:': 1883, 'mqtts:': 8883 };
const HAPROXY_CFG = '/usr/local/etc/haproxy/haproxy.cfg';
/** The host a URL names; undefined for no URL or a malformed one (parseConfig reports that). */
const hostOf = (url: string | undefined): string | undefined => {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
};

interface Haproxy { binds: number[]; servers: Array<{ host: string; port: number }> }
function parseHaproxy(text: string): Haproxy {
  const binds: number[] = [];
  const servers: Array<{ host: string; port: number }> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const bind = /^bind\s+\S*:(\d+)\b/.exec(line);
    if (bind) binds.push(Number(bind[1]));
    const server = /^server\s+\S+\s+([^\s:]+):(\d+)\b/.exec(line);
    if (server) servers.push({ host: server[1]!, port: Number(server[2]) });
  }
  return { binds, servers };
}

// ---- The checks ----------------------------------------------------------------------------------------

/** Settings the hub's nodes must share: one store, one Redis, one node secret. */
const SHARED = ['CITYHUB_STORE', 'INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET', 'CITYHUB_REDIS_URL', 'CITYHUB_NODE_SECRET'] as const;
/** The hub's Influx settings and the influxdb image's first-start settings that must match them. */
const INFLUX_INIT = { INFLUX_ORG: 'DOCKER_INFLUXDB_INIT_ORG', INFLUX_BUCKET: 'DOCKER_INFLUXDB_INIT_BUCKET', INFLUX_TOKEN: 'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN' } as const;

/** What the services of one interpolation are. */
interface View {
  services: Record<string, Service>;
  hub: Record<string, { cmd: string; args: string[]; env: Record<string, string> }>;
}
function view(raw: unknown, env: Record<string, string>, problems: string[]): View | null {
  const parsed = ComposeFile.safeParse(interpolate(raw, env, problems));
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    return null;
  }
  const services = parsed.data.services;
  const hub: View['hub'] = {};
  for (const [name, s] of Object.entries(services)) {
    if (s.build === undefined) continue;
    const a = argv(s);
    hub[name] = { cmd: a[2] ?? '', args: a.slice(3), env: envOf(s) };
  }
  return { services, hub };
}

/**
 * Every problem of a compose file, as sentences naming the service; none for a good file. `raw` is the
 * parsed YAML before interpolation; `files` reads the files it refers to.
 */
function checkCompose(raw: unknown, files: Files): string[] {
  const problems: string[] = [];
  const v = view(raw, {}, problems);
  if (!v) return problems;
  const { services, hub } = v;
  const declaredVolumes = new Set(Object.keys((raw as { volumes?: Record<string, unknown> | null }).volumes ?? {}));
  const haproxy = new Map<string, Haproxy>();
  for (const [name, s] of Object.entries(services)) {
    const cfg = mounts(s).find((m) => m.target === HAPROXY_CFG && !m.named && m.source);
    if (!cfg) continue;
    const text = files.read(hostPath(cfg.source!));
    if (text === undefined) problems.push(`${name}: ${cfg.source} does not exist`);
    else haproxy.set(name, parseHaproxy(text));
  }

  /** The ports a service accepts connections on. */
  const listens = (name: string): Set<number> => {
    const h = hub[name];
    if (h) {
      const ports = new Set<number>();
      if (['start', 'broker', 'api', 'ingest'].includes(h.cmd)) ports.add(Number(h.env.CITYHUB_HTTP_PORT ?? 8080));
      if (['start', 'broker'].includes(h.cmd)) ports.add(Number(h.env.CITYHUB_MQTT_PORT ?? 1883));
      return ports;
    }
    const lb = haproxy.get(name);
    if (lb) return new Set(lb.binds);
    const s = services[name]!;
    return new Set([...(s.expose ?? []).map(containerPort), ...(s.ports ?? []).map(containerPort)]);
  };
  const checkUrl = (where: string, key: string, url: string | undefined) => {
    if (!url) return;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      problems.push(`${where}: ${key} "${url}" is not a URL`);
      return;
    }
    const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
    if (!services[u.hostname]) problems.push(`${where}: ${key} names "${u.hostname}", which is not a service`);
    else if (port === undefined || !listens(u.hostname).has(port)) {
      problems.push(`${where}: ${key} ${url}: ${u.hostname} listens on ${[...listens(u.hostname)].join(', ') || 'no port'}, not ${port}`);
    }
  };

  const namedVolumeUsers = new Map<string, string[]>();
  for (const [name, s] of Object.entries(services)) {
    // Every service: alive checks, dependencies, restarts, graceful stops, volumes.
    if (!s.healthcheck?.test || s.healthcheck.disable) problems.push(`${name}: no healthcheck`);
    if (!s.restart || s.restart === 'no') problems.push(`${name}: no restart policy`);
    if (!s.stop_grace_period) problems.push(`${name}: no stop_grace_period`);
    const deps = Array.isArray(s.depends_on)
      ? s.depends_on.map((d) => [d, 'service_started'] as const)
      : Object.entries(s.depends_on ?? {}).map(([d, c]) => [d, c.condition] as const);
    for (const [dep, condition] of deps) {
      if (!services[dep]) problems.push(`${name}: depends on "${dep}", which is not a service`);
      else if (condition === 'service_healthy' && !services[dep].healthcheck?.test) problems.push(`${name}: waits for ${dep} to be healthy, which has no healthcheck`);
    }
    for (const m of mounts(s)) {
      if (m.named && m.source) {
        if (!declaredVolumes.has(m.source)) problems.push(`${name}: volume "${m.source}" is not declared under volumes`);
        namedVolumeUsers.set(m.source, [...(namedVolumeUsers.get(m.source) ?? []), name]);
      } else if (m.source && !files.exists(hostPath(m.source))) {
        problems.push(`${name}: ${m.source} does not exist`);
      }
    }
    for (const p of s.ports ?? []) {
      if (!listens(name).has(containerPort(p))) problems.push(`${name}: publishes ${containerPort(p)}, which it does not listen on`);
    }
  }
  for (const [volume, users] of namedVolumeUsers) {
    if (users.length > 1) problems.push(`volume "${volume}" is mounted by ${users.join(' and ')}: each node needs its own`);
  }

  // The hub's own services.
  for (const [name, h] of Object.entries(hub)) {
    const s = services[name]!;
    const a = argv(s);
    if (a[0] !== 'node' || a[1] !== 'bin/cityhub.js') problems.push(`${name}: command is not "node bin/cityhub.js …" but "${a.join(' ')}"`);
    if (!isCommand(h.cmd)) problems.push(`${name}: "${h.cmd}" is not a cityhub command (${COMMANDS.join(', ')})`);
    for (const k of Object.keys(h.env)) if (!CONFIG_VARIABLES.includes(k)) problems.push(`${name}: ${k} is not a configuration variable`);
    try {
      parseConfig(h.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `${name}: ${p}`));
    }
    const http = Number(h.env.CITYHUB_HTTP_PORT ?? 8080);
    const dataDir = h.env.CITYHUB_DATA_DIR ?? './.data';
    const check = healthText(s);
    if (!/^CMD node\b/.test(check)) problems.push(`${name}: the healthcheck does not run node (the image has no curl or wget)`);
    if (h.cmd === 'devices') {
      if (h.args[0] !== 'simulate') problems.push(`${name}: "devices ${h.args[0] ?? ''}" does not run until stopped; only "devices simulate" does`);
      for (const flag of h.args.slice(1).filter((x) => x.startsWith('--'))) {
        if (!SIMULATE_FLAGS.has(flag.split('=')[0]!)) problems.push(`${name}: ${flag} is not a "devices simulate" option`);
      }
      const i = h.args.findIndex((x) => x === '--mqtt' || x.startsWith('--mqtt='));
      if (i >= 0) checkUrl(name, '--mqtt', h.args[i]!.includes('=') ? h.args[i]!.split('=')[1] : h.args[i + 1]);
      if (!check.includes(simStatePath(dataDir))) problems.push(`${name}: the healthcheck does not watch ${simStatePath(dataDir)}, the state the simulator saves`);
    } else {
      const probe = /http:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/(?:readyz|healthz)\b/.exec(check);
      if (!probe) problems.push(`${name}: the healthcheck asks neither /readyz nor /healthz`);
      else if (Number(probe[1]) !== http) problems.push(`${name}: the healthcheck asks port ${probe[1]}, the node serves HTTP on ${http}`);
    }
    if (['start', 'broker', 'devices'].includes(h.cmd) && !mounts(s).some((m) => m.source && posix.normalize(m.target) === posix.normalize(dataDir))) {
      problems.push(`${name}: no volume at CITYHUB_DATA_DIR (${dataDir}): its state would die with the container`);
    }
    for (const p of s.expose ?? []) if (!listens(name).has(containerPort(p))) problems.push(`${name}: exposes ${p}, which it does not listen on`);
    if ((h.cmd === 'broker' || h.cmd === 'api') && h.env.CITYHUB_STORE !== 'influxdb') {
      problems.push(`${name}: cityhub ${h.cmd} needs CITYHUB_STORE=influxdb, not ${h.env.CITYHUB_STORE ?? 'the default duckdb'}`);
    }
    for (const key of ['INFLUX_URL', 'CITYHUB_REDIS_URL', 'CITYHUB_BROKER_URL', 'CITYHUB_INGEST_MQTT_URL'] as const) checkUrl(name, key, h.env[key]);
    const influx = services[hostOf(h.env.INFLUX_URL) ?? ''];
    const init = influx ? envOf(influx) : {};
    if (init.DOCKER_INFLUXDB_INIT_MODE === 'setup') {
      for (const [k, initKey] of Object.entries(INFLUX_INIT)) {
        if (h.env[k] !== init[initKey]) problems.push(`${name}: ${k} "${h.env[k] ?? 'unset'}" is not the ${initKey} "${init[initKey] ?? 'unset'}" InfluxDB was set up with`);
      }
    }
  }

  // Several nodes: one store, one Redis, one secret, however the ${VAR}s are set.
  const nodes = Object.entries(hub).filter(([, h]) => h.cmd === 'broker' || h.cmd === 'api');
  if (nodes.length > 1) {
    for (const [name, h] of nodes) {
      for (const k of ['CITYHUB_REDIS_URL', 'CITYHUB_NODE_SECRET'] as const) if (!h.env[k]) problems.push(`${name}: ${k} is not set, yet other nodes run`);
    }
    const distinct = Object.fromEntries([...variables(raw)].map((n) => [n, `${n.toLowerCase()}-as-set-0123456789`]));
    for (const [label, env] of [['with the defaults', {}], ['with every ${VAR} set', distinct]] as const) {
      const w = view(raw, env, []);
      if (!w) continue;
      const sharers = Object.entries(w.hub).filter(([, h]) => h.cmd === 'broker' || h.cmd === 'api');
      for (const k of SHARED) {
        const values = new Set(sharers.map(([, h]) => h.env[k]));
        if (values.size > 1) problems.push(`${k} differs between ${sharers.map(([n, h]) => `${n} (${h.env[k] ?? 'unset'})`).join(', ')} ${label}`);
      }
      const redis = sharers[0]?.[1].env.CITYHUB_REDIS_URL;
      for (const [name, h] of Object.entries(w.hub).filter(([, x]) => x.cmd === 'devices')) {
        if (h.env.CITYHUB_REDIS_URL !== redis) problems.push(`${name}: CITYHUB_REDIS_URL is not the nodes' registry (${redis}) ${label}`);
      }
      // With the defaults, the hub's own checks above compared the values already.
      for (const [name, h] of env === distinct ? sharers : []) {
        const influx = w.services[hostOf(h.env.INFLUX_URL) ?? ''];
        const init = influx ? envOf(influx) : {};
        for (const [k, initKey] of Object.entries(INFLUX_INIT)) {
          if (influx && h.env[k] !== init[initKey]) problems.push(`${name}: ${k} does not follow ${initKey} ${label}`);
        }
      }
    }
  }

  // The load balancer sends devices to every broker node, on its MQTT port, and to nothing else.
  const brokers = Object.entries(hub).filter(([, h]) => h.cmd === 'broker').map(([n, h]) => `${n}:${h.env.CITYHUB_MQTT_PORT ?? 1883}`);
  for (const [name, lb] of haproxy) {
    const servers = lb.servers.map((x) => `${x.host}:${x.port}`);
    for (const b of brokers) if (!servers.includes(b)) problems.push(`${name}: the HAProxy config has no server ${b}`);
    for (const x of servers) if (!brokers.includes(x)) problems.push(`${name}: the HAProxy server ${x} is not a broker node's MQTT address`);
  }
  if (brokers.length > 1 && haproxy.size === 0) problems.push('several broker nodes, but no load balancer in front of them');

  // InfluxDB 2: its first setup, and the DBRP mapping the hub's InfluxQL reads need.
  for (const [name, s] of Object.entries(services)) {
    const env = envOf(s);
    if (env.DOCKER_INFLUXDB_INIT_MODE !== 'setup') continue;
    for (const k of ['USERNAME', 'PASSWORD', 'ORG', 'BUCKET', 'ADMIN_TOKEN']) if (!env[`DOCKER_INFLUXDB_INIT_${k}`]) problems.push(`${name}: DOCKER_INFLUXDB_INIT_${k} is not set`);
    if ((env.DOCKER_INFLUXDB_INIT_PASSWORD ?? '').length < 8) problems.push(`${name}: influx setup refuses a password under 8 characters`);
    const initDir = mounts(s).find((m) => m.target === '/docker-entrypoint-initdb.d' && m.source && !m.named);
    const scripts = initDir ? files.list(hostPath(initDir.source!)).filter((f) => f.endsWith('.sh')).map((f) => posix.join(hostPath(initDir.source!), f)) : [];
    const runnable = scripts.filter((f) => files.executable(f));
    const dbrp = runnable.find((f) => /influx v1 dbrp create/.test(files.read(f) ?? ''));
    if (!dbrp) {
      problems.push(`${name}: no executable *.sh in /docker-entrypoint-initdb.d runs "influx v1 dbrp create"`);
      continue;
    }
    const text = files.read(dbrp)!;
    for (const arg of ['--db "${DOCKER_INFLUXDB_INIT_BUCKET}"', '--bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}"', '--rp autogen', '--default']) {
      if (!text.includes(arg)) problems.push(`${name}: ${dbrp} does not pass ${arg}`);
    }
    const syntax = files.shellSyntax(dbrp);
    if (syntax) problems.push(`${name}: ${dbrp}: ${syntax}`);
  }
  return problems;
}

// ---- The tests -----------------------------------------------------------------------------------------

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
    expect(service(doc, 'mqtt').ports).toEqual(['1883:1883']);
    expect(service(doc, servicesWith(doc, 'api')[0]!).ports).toEqual(['8080:8080']);
    expect(readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8')).toMatch(/^\s*balance leastconn\b/m);
    expect(checkCompose(doc, diskFiles)).toEqual([]);
  });

  // Each mutation breaks one thing a deployment needs; the checks above must name it.
  const mutations: Array<{ name: string; expected: RegExp; mutate: (d: Json) => void; files?: Record<string, string> }> = [
    {
      name: 'a renamed environment variable',
      expected: /broker-2: INFLUXDB_TOKEN is not a configuration variable/,
      mutate: (d) => {
        const e = environment(d, 'broker-2');
        e.INFLUXDB_TOKEN = e.INFLUX_TOKEN;
        delete e.INFLUX_TOKEN;
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
    expect(checkCompose(copy, diskFiles)).toHaveLength(1);
    service(copy, 'cityhub').ports = ['8081:8081'];
    expect(checkCompose(copy, diskFiles).join('\n')).toMatch(/cityhub: publishes 8081, which it does not listen on/);
  });
});
