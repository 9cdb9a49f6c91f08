import { parseArgs } from 'node:util';
import { Role } from '@cityhub/contracts';
import type { CliOutput } from '../cli.js';
import { DeviceError } from '../errors.js';
import { TokenStore } from './token-store.js';

const HELP = `Usage: cityhub tokens <command> [options]

API tokens for the protected routes (devices, dead letters, rules). Send one as
"Authorization: Bearer <token>".

Commands:
  add --role ${Role.options.join('|')} [--name NAME] [--json]   create a token; printed once, only its hash is kept
  list [--json]                                   list tokens (id, role, name, created)
  revoke ID                                       revoke a token

A viewer reads (also when public reading is off); an operator also acknowledges alerts, reads devices
and lists and replays dead letters; an admin may also create and disable devices and change alert rules.

The tokens are kept in <data dir>/registry/tokens.json, or, when CITYHUB_REDIS_URL is set, in that Redis,
shared by every api node (a new token works on all of them at once).`;

/** What `cityhub tokens` takes from the hub's configuration. */
export interface TokensEnv {
  /** CITYHUB_DATA_DIR: the tokens are `<dataDir>/registry/tokens.json`… */
  dataDir: string;
  /** CITYHUB_REDIS_URL: …or in this Redis, shared by every node. */
  redisUrl?: string | undefined;
}

/** `cityhub tokens …`: resolves with the exit status (0 done, 2 bad usage, 1 failure). */
export async function tokensCommand(args: string[], env: TokensEnv, out: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: { role: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    out.error(`cityhub tokens: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    if (cmd || values.help) out.log(HELP);
    else out.error(HELP);
    return values.help ? 0 : 2;
  }
  let store: TokenStore | undefined;
  try {
    store = await TokenStore.open(env.dataDir, { redisUrl: env.redisUrl });
    switch (cmd) {
      case 'add': {
        if (!values.role) {
          out.error(`cityhub tokens add: --role is required (${Role.options.join(' or ')})`);
          return 2;
        }
        const t = await store.add(values.role, values.name);
        if (values.json) out.log(JSON.stringify(t));
        else out.log(`id:    ${t.id}\nrole:  ${t.role}\ntoken: ${t.token}\n\nThe token is shown only now; the hub keeps only its hash.`);
        return 0;
      }
      case 'list': {
        const list = store.list();
        if (values.json) out.log(JSON.stringify(list));
        else out.log(list.length ? list.map((t) => `${t.id}  ${t.role.padEnd(8)}  ${t.created_at}  ${t.name ?? ''}`).join('\n') : 'no tokens');
        return 0;
      }
      case 'revoke': {
        if (rest.length !== 1) {
          out.error('cityhub tokens revoke: give one token id');
          return 2;
        }
        await store.revoke(rest[0]!);
        out.log(`revoked ${rest[0]!}`);
        return 0;
      }
      default:
        out.error(`cityhub tokens: unknown command "${cmd}"\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof DeviceError) {
      out.error(`cityhub tokens: ${e.message}`);
      return e.usage ? 2 : 1;
    }
    throw e;
  } finally {
    await store?.close();
  }
}
