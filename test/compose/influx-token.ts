// The compose check of the hub's InfluxDB token: never InfluxDB's all-access admin token, but one scoped to the
// bucket, made by a one-shot service with the `influx` CLI and read by the hub from a volume it mounts read-only.
import { posix } from 'node:path';
import { dependsOn, envOf, hostOf, hostPath, mounts, runs, type Files, type Service } from './format.js';

/** The flags of `influx auth create` that grant no more than the bucket's read and write (or only print). */
const SCOPED_FLAGS = new Set(['--org-id', '--org', '-o', '--read-bucket', '--write-bucket', '--description', '-d', '--json', '--hide-headers']);
/** The user the hub's image runs as (`USER node` of the node images: uid 1000). */
const HUB_UID = '1000';

/** What the token check reads of one hub service. */
export interface TokenSubject {
  name: string;
  env: Record<string, string>;
  /** The InfluxDB service that `INFLUX_URL` names, and the environment it was set up with. */
  influx: string;
  init: Record<string, string>;
}

/**
 * The `influx auth create` commands of a script, each on one line (continuations joined): those that start a
 * line, a `$(…)` or follow `;`, `&&` or `|`, not words of a comment or a message.
 */
function authCreates(text: string): string[] {
  const start = /(?:^\s*|\$\(|[;&|]\s*)influx auth create\b/;
  return text.replace(/\\\n/g, ' ').split('\n').filter((l) => start.test(l)).map((l) => l.slice(l.indexOf('influx auth create')));
}

/** The script a token job runs: a repository file it mounts and names in its entrypoint or command. */
function checkTokenScript(problems: string[], files: Files, job: string, s: Service): void {
  const argv = runs(s);
  const script = mounts(s).find((m) => !m.named && m.source && argv.includes(m.target));
  if (!script) {
    problems.push(`${job}: runs no script of the repository (mounted and named in its entrypoint or command)`);
    return;
  }
  const path = hostPath(script.source!);
  const text = files.read(path);
  if (text === undefined) {
    problems.push(`${job}: ${script.source} does not exist`);
    return;
  }
  const syntax = files.shellSyntax(path);
  if (syntax) problems.push(`${job}: ${path}: ${syntax}`);
  const creates = authCreates(text);
  if (creates.length === 0) problems.push(`${job}: ${path} runs no "influx auth create"`);
  for (const cmd of creates) {
    const flags = [...cmd.matchAll(/(?:^|\s)(--?[a-z][a-z-]*)/g)].map((m) => m[1]!);
    for (const f of flags) if (!SCOPED_FLAGS.has(f)) problems.push(`${job}: ${path}: influx auth create ${f} grants more than the bucket's read and write`);
    for (const f of ['--read-bucket', '--write-bucket']) if (!flags.includes(f)) problems.push(`${job}: ${path}: influx auth create has no ${f}`);
    const buckets = new Set([...cmd.matchAll(/--(?:read|write)-bucket[ =]+("[^"]*"|\S+)/g)].map((m) => m[1]!.replace(/["{}]/g, '')));
    if (buckets.size > 1) problems.push(`${job}: ${path}: influx auth create names several buckets (${[...buckets].join(', ')})`);
  }
  for (const v of ['HUB_TOKEN_FILE', 'HUB_UID', 'HUB_INFLUX_BUCKET']) if (!text.includes(`$${v}`)) problems.push(`${job}: ${path} does not read ${v}`);
  if (!/chmod 0?[46]00 /.test(text)) problems.push(`${job}: ${path} leaves the token readable by others (no chmod 0400)`);
}

/** The service that writes the token a hub service reads, checked against the hub and InfluxDB's setup. */
function checkTokenJob(problems: string[], files: Files, services: Record<string, Service>, hub: TokenSubject, volume: string, file: string): void {
  const writers = Object.entries(services).filter(([, s]) => mounts(s).some((m) => m.named && m.source === volume && !m.readOnly));
  if (writers.length !== 1) {
    problems.push(`${hub.name}: ${writers.length ? 'several services write' : 'no service writes'} the volume "${volume}" its InfluxDB token is read from`);
    return;
  }
  const [job, s] = writers[0]!;
  const env = envOf(s);
  const target = mounts(s).find((m) => m.source === volume)!.target;
  if (env.HUB_TOKEN_FILE !== posix.join(target, posix.basename(file))) {
    problems.push(`${job}: HUB_TOKEN_FILE "${env.HUB_TOKEN_FILE ?? 'unset'}" is not the file ${hub.name} reads (${file} in volume "${volume}")`);
  }
  if (dependsOn(services[hub.name]!, job) !== 'service_completed_successfully') problems.push(`${hub.name}: does not wait for ${job} to complete successfully`);
  if (dependsOn(s, hub.influx) !== 'service_healthy') problems.push(`${job}: does not wait for ${hub.influx} to be healthy`);
  if (!/^influxdb:2\b/.test(s.image ?? '')) problems.push(`${job}: runs ${s.image ?? 'no image'}, not influxdb:2 (whose influx CLI it uses)`);
  if (s.restart && !/^(no|on-failure(:\d+)?)$/.test(s.restart)) problems.push(`${job}: restart "${s.restart}" would run it again after it completed`);
  if (env.INFLUX_TOKEN !== hub.init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN) problems.push(`${job}: INFLUX_TOKEN is not the admin token ${hub.influx} was set up with`);
  if (hostOf(env.INFLUX_HOST) !== hub.influx) problems.push(`${job}: INFLUX_HOST "${env.INFLUX_HOST ?? 'unset'}" is not ${hub.influx}`);
  for (const [k, hk] of [['HUB_INFLUX_ORG', 'INFLUX_ORG'], ['HUB_INFLUX_BUCKET', 'INFLUX_BUCKET']] as const) {
    if (env[k] !== hub.env[hk]) problems.push(`${job}: ${k} "${env[k] ?? 'unset'}" is not ${hub.name}'s ${hk} "${hub.env[hk] ?? 'unset'}"`);
  }
  if (env.HUB_UID !== HUB_UID) problems.push(`${job}: HUB_UID "${env.HUB_UID ?? 'unset'}" is not the image's node user (${HUB_UID})`);
  checkTokenScript(problems, files, job, s);
}

/**
 * A hub service on an InfluxDB the compose file sets up: it must not hold the admin token, and must read a
 * token scoped to its bucket (INFLUX_TOKEN_FILE) from a volume it mounts read-only, which one job writes.
 */
export function checkScopedToken(problems: string[], files: Files, services: Record<string, Service>, hub: TokenSubject): void {
  const { name, env, init } = hub;
  if (env.INFLUX_TOKEN && env.INFLUX_TOKEN === init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN) {
    problems.push(`${name}: INFLUX_TOKEN is InfluxDB's all-access admin token; give the hub a token scoped to its bucket (INFLUX_TOKEN_FILE)`);
  }
  const file = env.INFLUX_TOKEN_FILE;
  if (!file) {
    problems.push(`${name}: no INFLUX_TOKEN_FILE: the hub does not read the token scoped to its bucket`);
    return;
  }
  const m = mounts(services[name]!).find((x) => x.named && x.source && posix.normalize(x.target) === posix.dirname(file));
  if (!m) {
    problems.push(`${name}: INFLUX_TOKEN_FILE ${file} is on no volume`);
    return;
  }
  if (!m.readOnly) problems.push(`${name}: mounts "${m.source}" writable; the hub only reads its InfluxDB token (:ro)`);
  checkTokenJob(problems, files, services, hub, m.source!, file);
}
