// The part of the compose file format the compose checks read, Compose's ${VAR} interpolation, and how to
// read one service: its environment, command, healthcheck, ports, mounts.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { SIMULATE_HELP } from '@cityhub/simulator';
import { COMMANDS } from '../../src/cli.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const Service = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string() }).loose()]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(z.string(), Scalar), z.array(z.string())]).optional(),
  ports: z.array(z.union([z.string(), z.number(), z.object({ target: z.coerce.number() }).loose()])).optional(),
  expose: z.array(z.union([z.string(), z.number()])).optional(),
  volumes: z.array(z.union([
    z.string(),
    z.object({ type: z.string().optional(), source: z.string().optional(), target: z.string(), read_only: z.boolean().optional() }).loose(),
  ])).optional(),
  depends_on: z.union([
    z.array(z.string()),
    z.record(z.string(), z.object({ condition: z.string().default('service_started') }).loose()),
  ]).optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]).optional(), disable: z.boolean().optional() }).loose().optional(),
  restart: z.string().optional(),
  stop_grace_period: z.string().optional(),
}).loose();
export type Service = z.infer<typeof Service>;
export const ComposeFile = z.object({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.unknown()).nullable().optional(),
}).loose();

/** The files a compose file refers to, relative to the repository (a test may swap one's text). */
export interface Files {
  exists: (rel: string) => boolean;
  /** A file's text; undefined for a folder or nothing. */
  read: (rel: string) => string | undefined;
  list: (rel: string) => string[];
  executable: (rel: string) => boolean;
  /** `bash -n`: null when the script parses, else bash's complaint. */
  shellSyntax: (rel: string) => string | null;
}
export const diskFiles: Files = {
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
export function loadCompose(rel: string): Record<string, unknown> {
  const text = diskFiles.read(rel);
  if (text === undefined) throw new Error(`${rel} is missing`);
  return JSON.parse(JSON.stringify(parse(text, { merge: true }))) as Record<string, unknown>;
}

// ---- Compose's ${VAR} interpolation ------------------------------------------------------------------------

export const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Every string of `value` interpolated as `docker compose` does, with `env` as the shell's environment. */
export function interpolate(value: unknown, env: Record<string, string>, problems: string[], where = ''): unknown {
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
export function variables(value: unknown, into = new Set<string>()): Set<string> {
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

export const envOf = (s: Service): Record<string, string> => {
  if (!s.environment) return {};
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((e) => [e.split('=')[0]!, e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
  }
  return Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v === null ? '' : String(v)]));
};
export const argv = (s: Service): string[] => (typeof s.command === 'string' ? s.command.split(/\s+/).filter(Boolean) : s.command ?? []);
export const healthText = (s: Service): string => (Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.join(' ') : s.healthcheck?.test ?? '');
export const containerPort = (p: string | number | { target: number }): number => {
  if (typeof p === 'object') return p.target;
  return Number(String(p).split(':').pop()!.split('/')[0]);
};
export interface Mount { source: string | undefined; target: string; named: boolean; readOnly: boolean }
export const mounts = (s: Service): Mount[] => (s.volumes ?? []).map((v) => {
  if (typeof v === 'object') return { source: v.source, target: v.target, named: v.type === 'volume' || v.type === undefined, readOnly: v.read_only === true };
  const [source, target, mode] = v.split(':');
  if (target === undefined) return { source: undefined, target: source!, named: false, readOnly: false };
  return { source, target, named: !/^[./~]/.test(source!), readOnly: (mode ?? '').split(',').includes('ro') };
});
/** What a service runs: its entrypoint, then its command. */
export const runs = (s: Service): string[] => {
  const words = (v: string | string[] | undefined) => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v ?? []);
  return [...words(s.entrypoint), ...words(s.command)];
};
/** The services others wait for to complete (`service_completed_successfully`): one-shot jobs. */
export const jobsOf = (services: Record<string, Service>): Set<string> => new Set(Object.values(services).flatMap((s) => (
  Array.isArray(s.depends_on) ? [] : Object.entries(s.depends_on ?? {}).filter(([, c]) => c.condition === 'service_completed_successfully').map(([d]) => d)
)));
/** The condition `s` waits for `dep` on, or undefined when it does not depend on it. */
export const dependsOn = (s: Service, dep: string): string | undefined => (Array.isArray(s.depends_on)
  ? (s.depends_on.includes(dep) ? 'service_started' : undefined)
  : s.depends_on?.[dep]?.condition);
export const hostPath = (source: string) => posix.normalize(source.replace(/^\.\//, ''));

/** Each SIMULATE_HELP option, with its leading dashes. */
export const SIMULATE_FLAGS = new Set([...SIMULATE_HELP.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
export const isCommand = (c: string | undefined): c is (typeof COMMANDS)[number] => (COMMANDS as readonly string[]).includes(c ?? '');
export const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'redis:': 6379, 'rediss:': 6379, 'mqtt:': 1883, 'mqtts:': 8883 };
export const HAPROXY_CFG = '/usr/local/etc/haproxy/haproxy.cfg';
/** The host a URL names; undefined for no URL or a malformed one (parseConfig reports that). */
export const hostOf = (url: string | undefined): string | undefined => {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
};

export interface Haproxy { binds: number[]; servers: Array<{ host: string; port: number }> }
export function parseHaproxy(text: string): Haproxy {
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

