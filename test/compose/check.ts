// The compose checks: every problem of a compose file, as sentences naming the service.
import { posix } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, parseConfig } from '@cityhub/contracts';
import { simStatePath } from '@cityhub/simulator';
import { COMMANDS } from '../../src/cli.js';
import {
  argv, ComposeFile, containerPort, DEFAULT_PORTS, envOf, HAPROXY_CFG, healthText, hostOf, hostPath, interpolate, isCommand, jobsOf, mounts,
  parseHaproxy, SIMULATE_FLAGS, VARIABLE, variables, type Files, type Haproxy, type Service,
} from './format.js';
import { checkScopedToken } from './influx-token.js';

/** How a service of the hub runs: its `cityhub` command, the arguments after it, its environment. */
type HubService = { cmd: string; args: string[]; env: Record<string, string> };

/** Settings the hub's nodes must share: one store, one Redis, one node secret. */
const SHARED = ['CITYHUB_STORE', 'INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_TOKEN_FILE', 'INFLUX_ORG', 'INFLUX_BUCKET', 'CITYHUB_REDIS_URL', 'CITYHUB_NODE_SECRET'] as const;
/**
 * The hub's Influx settings and the influxdb image's first-start settings that must match them. Not the token:
 * the hub must never hold the admin token (compose/influx-token.ts).
 */
const INFLUX_INIT = { INFLUX_ORG: 'DOCKER_INFLUXDB_INIT_ORG', INFLUX_BUCKET: 'DOCKER_INFLUXDB_INIT_BUCKET' } as const;

/**
 * The variables a compose file requires (`${VAR:?…}`: the secrets, which have no defaults), each set to a
 * sample value: the checks read the file as a deployment that set them.
 */
export function requiredSet(raw: unknown, into: Record<string, string> = {}): Record<string, string> {
  if (typeof raw === 'string') {
    for (const m of raw.matchAll(VARIABLE)) if (m[2] === ':?' || m[2] === '?') into[m[1]!] = `${m[1]!.toLowerCase()}-as-set-0123456789`;
  } else if (raw && typeof raw === 'object') {
    for (const v of Object.values(raw)) requiredSet(v, into);
  }
  return into;
}

/** What the services of one interpolation are. */
interface View {
  services: Record<string, Service>;
  hub: Record<string, HubService>;
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

/** What one check reads, and where it reports. */
interface Ctx {
  raw: unknown;
  files: Files;
  problems: string[];
  services: Record<string, Service>;
  hub: Record<string, HubService>;
  haproxy: Map<string, Haproxy>;
  /** The ports a service accepts connections on. */
  listens: (name: string) => Set<number>;
  /** Reports a URL that names no service, or a port its service does not listen on. */
  checkUrl: (where: string, key: string, url: string | undefined) => void;
  /** The required variables, as set for the checks. */
  required: Record<string, string>;
}

/** The load balancers, by service, from the HAProxy configs they mount. */
function balancers({ services, files, problems }: Pick<Ctx, 'services' | 'files' | 'problems'>): Map<string, Haproxy> {
  const haproxy = new Map<string, Haproxy>();
  for (const [name, s] of Object.entries(services)) {
    const cfg = mounts(s).find((m) => m.target === HAPROXY_CFG && !m.named && m.source);
    if (!cfg) continue;
    const text = files.read(hostPath(cfg.source!));
    if (text === undefined) problems.push(`${name}: ${cfg.source} does not exist`);
    else haproxy.set(name, parseHaproxy(text));
  }
  return haproxy;
}

/** The `listens` and `checkUrl` of a context. */
function portChecks({ services, hub, haproxy, problems }: Omit<Ctx, 'listens' | 'checkUrl' | 'raw' | 'files' | 'required'>): Pick<Ctx, 'listens' | 'checkUrl'> {
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

  return { listens, checkUrl };
}

/**
 * Every service: alive checks, dependencies, restarts, graceful stops, volumes. A one-shot job (a service others
 * wait for to complete) needs no healthcheck, restart policy or graceful stop.
 */
function checkEveryService({ raw, files, problems, services, listens, required }: Ctx): void {
  // A file the deployment supplies through a required variable (a certificate) is not in the repository.
  const supplied = new Set(Object.values(required));
  const declaredVolumes = new Set(Object.keys((raw as { volumes?: Record<string, unknown> | null }).volumes ?? {}));
  const namedVolumeWriters = new Map<string, string[]>();
  const jobs = jobsOf(services);
  for (const [name, s] of Object.entries(services)) {
    if (!jobs.has(name)) {
      if (!s.healthcheck?.test || s.healthcheck.disable) problems.push(`${name}: no healthcheck`);
      if (!s.restart || s.restart === 'no') problems.push(`${name}: no restart policy`);
      if (!s.stop_grace_period) problems.push(`${name}: no stop_grace_period`);
    }
    const deps = Array.isArray(s.depends_on)
      ? s.depends_on.map((d) => [d, 'service_started'] as const)
      : Object.entries(s.depends_on ?? {}).map(([d, c]) => [d, c.condition] as const);
    for (const [dep, condition] of deps) {
      if (!services[dep]) problems.push(`${name}: depends on "${dep}", which is not a service`);
      else if (condition === 'service_healthy' && !services[dep].healthcheck?.test) problems.push(`${name}: waits for ${dep} to be healthy, which has no healthcheck`);
    }
    for (const m of mounts(s)) {
      if (m.source && supplied.has(m.source)) continue;
      if (m.named && m.source) {
        if (!declaredVolumes.has(m.source)) problems.push(`${name}: volume "${m.source}" is not declared under volumes`);
        if (!m.readOnly) namedVolumeWriters.set(m.source, [...(namedVolumeWriters.get(m.source) ?? []), name]);
      } else if (m.source && !files.exists(hostPath(m.source))) {
        problems.push(`${name}: ${m.source} does not exist`);
      }
    }
    for (const p of s.ports ?? []) {
      if (!listens(name).has(containerPort(p))) problems.push(`${name}: publishes ${containerPort(p)}, which it does not listen on`);
    }
  }
  // Others may read a volume (mounted :ro), as the hub's nodes read the token volume; only one service writes it.
  for (const [volume, users] of namedVolumeWriters) {
    if (users.length > 1) problems.push(`volume "${volume}" is mounted by ${users.join(' and ')}: each node needs its own`);
  }

}

/** The simulator: `devices simulate` with its own options, aimed at a service, its state watched. */
function checkSimulator({ problems, checkUrl }: Ctx, name: string, h: HubService, check: string, dataDir: string): void {
  if (h.args[0] !== 'simulate') problems.push(`${name}: "devices ${h.args[0] ?? ''}" does not run until stopped; only "devices simulate" does`);
  for (const flag of h.args.slice(1).filter((x) => x.startsWith('--'))) {
    if (!SIMULATE_FLAGS.has(flag.split('=')[0]!)) problems.push(`${name}: ${flag} is not a "devices simulate" option`);
  }
  const i = h.args.findIndex((x) => x === '--mqtt' || x.startsWith('--mqtt='));
  if (i >= 0) checkUrl(name, '--mqtt', h.args[i]!.includes('=') ? h.args[i]!.split('=')[1] : h.args[i + 1]);
  if (!check.includes(simStatePath(dataDir))) problems.push(`${name}: the healthcheck does not watch ${simStatePath(dataDir)}, the state the simulator saves`);
}

/** One of the hub's own services: its command, configuration, healthcheck, volume and URLs. */
function checkHubService(ctx: Ctx, name: string, h: HubService): void {
  const { problems, services, listens, checkUrl } = ctx;
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
  if (h.cmd === 'devices') checkSimulator(ctx, name, h, check, dataDir);
  else {
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
    checkScopedToken(problems, ctx.files, services, { name, env: h.env, influx: hostOf(h.env.INFLUX_URL)!, init });
  }
}

/** Several nodes: one store, one Redis, one secret, however the ${VAR}s are set. */
function checkSharedSettings({ raw, problems, hub, required }: Ctx): void {
  const nodes = Object.entries(hub).filter(([, h]) => h.cmd === 'broker' || h.cmd === 'api');
  if (nodes.length > 1) {
    for (const [name, h] of nodes) {
      for (const k of ['CITYHUB_REDIS_URL', 'CITYHUB_NODE_SECRET'] as const) if (!h.env[k]) problems.push(`${name}: ${k} is not set, yet other nodes run`);
    }
    const distinct = Object.fromEntries([...variables(raw)].map((n) => [n, `${n.toLowerCase()}-as-set-0123456789`]));
    for (const [label, env] of [['with the defaults', required], ['with every ${VAR} set', distinct]] as const) {
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
        const admin = init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN;
        for (const [k, v] of Object.entries(h.env)) if (admin && v.includes(admin)) problems.push(`${name}: ${k} holds InfluxDB's admin token ${label}`);
      }
    }
  }

}

/** The load balancer sends devices to every broker node, on its MQTT port, and to nothing else. */
function checkBalancer({ problems, hub, haproxy }: Ctx): void {
  const brokers = Object.entries(hub).filter(([, h]) => h.cmd === 'broker').map(([n, h]) => `${n}:${h.env.CITYHUB_MQTT_PORT ?? 1883}`);
  for (const [name, lb] of haproxy) {
    const servers = lb.servers.map((x) => `${x.host}:${x.port}`);
    for (const b of brokers) if (!servers.includes(b)) problems.push(`${name}: the HAProxy config has no server ${b}`);
    for (const x of servers) if (!brokers.includes(x)) problems.push(`${name}: the HAProxy server ${x} is not a broker node's MQTT address`);
  }
  if (brokers.length > 1 && haproxy.size === 0) problems.push('several broker nodes, but no load balancer in front of them');

}

/** InfluxDB 2: its first setup, and the DBRP mapping the hub's InfluxQL reads need. */
function checkInfluxSetup({ problems, services, files }: Ctx): void {
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
}

/**
 * Every problem of a compose file, as sentences naming the service; none for a good file. `raw` is the
 * parsed YAML before interpolation; `files` reads the files it refers to.
 */
export function checkCompose(raw: unknown, files: Files): string[] {
  const problems: string[] = [];
  const required = requiredSet(raw);
  const v = view(raw, required, problems);
  if (!v) return problems;
  const { services, hub } = v;
  const haproxy = balancers({ services, files, problems });
  const ctx: Ctx = { raw, files, problems, services, hub, haproxy, required, ...portChecks({ services, hub, haproxy, problems }) };
  checkEveryService(ctx);
  for (const [name, h] of Object.entries(hub)) checkHubService(ctx, name, h);
  checkSharedSettings(ctx);
  checkBalancer(ctx);
  checkInfluxSetup(ctx);
  // Several nodes share a job, a volume, a setup: each problem once.
  return [...new Set(problems)];
}
