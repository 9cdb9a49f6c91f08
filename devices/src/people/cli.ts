import { parseArgs } from 'node:util';
import { Role } from '@cityhub/contracts';
import type { CliOutput } from '../cli.js';
import { DeviceError } from '../errors.js';
import { MIN_PASSWORD_LENGTH, UserStore } from './users.js';

export const USERS_HELP = `Usage: cityhub users <command> [options]

People who sign in to the dashboard (and to POST /api/v1/session).

Commands:
  add NAME --role ${Role.options.join('|')}   create a user; the password is read from standard input
  list [--json]                          list users (name, role, enabled, created, password set)
  disable NAME | enable NAME             refuse or accept the user's sign-ins; disabling ends their sessions
  passwd NAME                            set a new password (read from standard input); ends their sessions

The password (at least ${MIN_PASSWORD_LENGTH} characters) is read from standard input: typed without echo on a terminal,
or the first line of a pipe (printf '%s\\n' "$PW" | cityhub users add ana --role operator). It is never
printed or logged; only its scrypt hash is kept.

A viewer sees the dashboard; an operator also acknowledges alerts; an admin also manages devices and rules.
Users are kept in <data dir>/registry/users.json, or, when CITYHUB_REDIS_URL is set, in that Redis.`;

/** What `cityhub users` takes from the hub's configuration, and how it reads a password. */
export interface UsersEnv {
  dataDir: string;
  redisUrl?: string | undefined;
  /** Reads one password from standard input (without echo on a terminal). */
  readPassword(prompt: string): Promise<string>;
}

/** `cityhub users …`: resolves with the exit status (0 done, 2 bad usage, 1 failure). */
export async function usersCommand(args: string[], env: UsersEnv, out: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: { role: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    out.error(`cityhub users: ${(e as Error).message}\n\n${USERS_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    if (values.help) out.log(USERS_HELP);
    else out.error(USERS_HELP);
    return values.help ? 0 : 2;
  }
  if (cmd !== 'list' && rest.length !== 1) {
    out.error(`cityhub users ${cmd}: give one user name\n\n${USERS_HELP}`);
    return 2;
  }
  let store: UserStore | undefined;
  try {
    store = await UserStore.open({ dataDir: env.dataDir, redisUrl: env.redisUrl });
    return await run(store, cmd, rest[0] ?? '', values, env, out);
  } catch (e) {
    if (e instanceof DeviceError) {
      out.error(`cityhub users: ${e.message}`);
      return e.usage ? 2 : 1;
    }
    throw e;
  } finally {
    await store?.close();
  }
}

async function run(store: UserStore, cmd: string, name: string, values: { role?: string | undefined; json?: boolean | undefined }, env: UsersEnv, out: CliOutput): Promise<number> {
  switch (cmd) {
    case 'add': {
      if (!values.role) {
        out.error(`cityhub users add: --role is required (${Role.options.join(', ')})`);
        return 2;
      }
      if (store.get(name)) throw new DeviceError('DUPLICATE_USER', `a user ${name} exists already`);
      const u = await store.add(name, values.role, await env.readPassword(`Password for ${name}: `));
      out.log(values.json ? JSON.stringify(u) : `added ${u.name} (${u.role})`);
      return 0;
    }
    case 'list': {
      const list = store.list();
      if (values.json) out.log(JSON.stringify(list));
      else out.log(list.length ? list.map((u) => `${u.name.padEnd(20)}  ${u.role.padEnd(8)}  ${u.enabled ? 'enabled ' : 'disabled'}  ${u.created_at}`).join('\n') : 'no users');
      return 0;
    }
    case 'disable':
    case 'enable':
      await store.setEnabled(name, cmd === 'enable');
      out.log(`${cmd}d ${name}`);
      return 0;
    case 'passwd': {
      if (!store.get(name)) throw new DeviceError('UNKNOWN_USER', `no user ${name}`);
      await store.setPassword(name, await env.readPassword(`New password for ${name}: `));
      out.log(`password of ${name} changed; their sessions have ended`);
      return 0;
    }
    default:
      out.error(`cityhub users: unknown command "${cmd}"\n\n${USERS_HELP}`);
      return 2;
  }
}
