import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GATEWAY_KIND, KINDS, type DeviceKind, type DeviceRecord } from '@cityhub/contracts';
import { DeviceError } from './errors.js';
import { openRegistry, type FileRegistry } from './registry/file-registry.js';

/** Where `cityhub devices` writes: results to `log`, problems to `error`. */
export interface CliOutput { log(s: string): void; error(s: string): void }

/** What `cityhub devices` takes from the hub's configuration. */
export interface DevicesEnv {
  /** CITYHUB_DATA_DIR: the registry is <data dir>/registry/devices.json (without Redis). */
  dataDir: string;
  /** CITYHUB_SYNTHETIC_ASSETS: synthetic catalogue assets devices may be installed on (default 0). */
  syntheticAssets?: number;
  /** CITYHUB_REDIS_URL: the registry is in this Redis, shared by every broker node. */
  redisUrl?: string | undefined;
  /** CITYHUB_DEVICE_SECRET_KEY: the key device secrets are hashed with (see RegistryOptions.secretKey). */
  secretKey?: string | undefined;
}

const HELP = {
  main: `Usage: cityhub devices <command> [options]

Commands:
  add --kind K --asset A [--id ID] [--gateway GW] [--json]
                                              create a device; prints its id and secret (shown once)
  list [--json]                               list the devices (never their secrets)
  disable ID                                  refuse the device's connections from now on
  enable ID                                   accept the device again
  simulate [--count N] [--backfill-days D]    run the simulated fleet against a broker until stopped

Every command works while the hub runs. "cityhub devices <command> --help" shows a command's options.

The registry is <data dir>/registry/devices.json, or, when CITYHUB_REDIS_URL is set, that Redis, shared by
every broker and api node: a device added or disabled there counts on every node at once.`,
  add: `Usage: cityhub devices add --kind K --asset A [--id ID] [--gateway GW] [--json]

Creates a device installed on a catalogue asset and prints its id and its secret. The secret is shown
only now: the hub keeps only its hash. A running broker accepts the new device at once (every broker
node, when the registry is in the Redis of CITYHUB_REDIS_URL). A gateway (--kind ${GATEWAY_KIND}) speaks
for the devices created under it with --gateway: it publishes their readings on
city/gateway/{its id}/telemetry as {"<child id>": [readings…], …}.

Options:
  --kind K     ${KINDS.join(' | ')} | ${GATEWAY_KIND}
  --asset A    a catalogue asset of that kind, e.g. link-12, hotspot-white-tower, building-rotunda
               (for a gateway: where it stands, optional, default its id)
  --id ID      the device id (default: generated, e.g. tr-k3j9x2ab); 3–64 of a-z, 0-9 and "-"
  --gateway GW the gateway that speaks for this device (created before with --kind ${GATEWAY_KIND})
  --json       print {"id","secret","kind","asset","gateway"?} on one line
  -h, --help   show this help`,
  list: `Usage: cityhub devices list [--json]

Lists the devices: id, kind, asset, gateway, enabled, created. Secrets and their hashes are never shown.

Options:
  --json       print a JSON array of the device records
  -h, --help   show this help`,
  disable: `Usage: cityhub devices disable ID

Disables a device: its connections are refused from now on (its history is kept), within seconds on
every node that shares the registry through CITYHUB_REDIS_URL.`,
  enable: `Usage: cityhub devices enable ID

Enables a disabled device again.`,
} as const;

type Command = keyof typeof HELP;
/** Usage problems: the message is printed with the command's usage line, exit status 2. */
class UsageError extends Error {}

/** parseArgs with its errors (unknown option, missing value) turned into usage errors. */
function tryParse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

/** A record as users see it: without the secret hash. */
function publicRecord(r: DeviceRecord): Omit<DeviceRecord, 'secret_hash'> {
  const { secret_hash: _hidden, ...rest } = r;
  return rest;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

async function add(reg: () => Promise<FileRegistry>, args: string[], out: CliOutput): Promise<number> {
  const { values } = tryParse({
    args,
    strict: true,
    options: {
      ...helpOption, kind: { type: 'string' }, asset: { type: 'string' }, id: { type: 'string' }, gateway: { type: 'string' }, json: { type: 'boolean' },
    },
  });
  if (values.help) return help('add', out);
  const { kind, asset, id, gateway, json } = values;
  if (kind === undefined) throw new UsageError(`missing --kind (${[...KINDS, GATEWAY_KIND].join(', ')})`);
  if (asset === undefined && kind !== GATEWAY_KIND) throw new UsageError('missing --asset (a catalogue asset id, e.g. link-12)');
  const d = await (await reg()).add({ kind: kind as DeviceKind, asset, id, gateway });
  if (json) {
    out.log(JSON.stringify({ id: d.id, secret: d.secret, kind: d.kind, asset: d.asset, ...(d.gateway && { gateway: d.gateway }) }));
  } else {
    out.log(`Created ${d.kind} device ${d.id} ${d.kind === GATEWAY_KIND ? 'at' : 'on asset'} ${d.asset}${d.gateway ? `, under gateway ${d.gateway}` : ''}.`);
    out.log(`  id:     ${d.id}`);
    out.log(`  secret: ${d.secret}`);
    out.log('The secret is shown only now: store it on the device. The hub keeps only its hash.');
  }
  return 0;
}

async function list(reg: () => Promise<FileRegistry>, args: string[], out: CliOutput): Promise<number> {
  const { values } = tryParse({ args, strict: true, options: { ...helpOption, json: { type: 'boolean' } } });
  if (values.help) return help('list', out);
  const records = (await reg()).list();
  if (values.json) {
    out.log(JSON.stringify(records.map(publicRecord)));
  } else if (records.length === 0) {
    out.log('No devices. Create one with: cityhub devices add --kind K --asset A');
  } else {
    out.log(table([
      ['ID', 'KIND', 'ASSET', 'GATEWAY', 'ENABLED', 'CREATED'],
      ...records.map((r) => [r.id, r.kind, r.asset, r.gateway ?? '-', r.enabled ? 'yes' : 'no', r.created_at]),
    ]));
  }
  return 0;
}

async function setEnabled(command: 'enable' | 'disable', reg: () => Promise<FileRegistry>, args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = tryParse({ args, strict: true, allowPositionals: true, options: helpOption });
  if (values.help) return help(command, out);
  if (positionals.length === 0) throw new UsageError(`${command} needs a device ID`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const id = positionals[0]!;
  const r = await (await reg()).setEnabled(id, command === 'enable');
  out.log(`Device ${r.id} ${r.enabled ? 'enabled' : 'disabled'}.`);
  return 0;
}

function help(command: Command, out: CliOutput): number {
  out.log(HELP[command]);
  return 0;
}

/**
 * `cityhub devices …`: add, list, disable and enable devices in the registry of `env.dataDir`, or in the
 * Redis of `env.redisUrl`. Safe while the hub runs (it only changes the registry, atomically: under the
 * file's lock, or in a Redis transaction). `cityhub devices simulate` is the simulated fleet's command
 * (`simulateCommand` of @cityhub/simulator), which the `cityhub` command dispatches before this one.
 * Returns the exit status: 0 done, 2 bad input (the message names the problem), 1 anything else.
 */
export async function devicesCommand(args: string[], env: DevicesEnv, out: CliOutput): Promise<number> {
  const [command, ...rest] = args;
  let registry: FileRegistry | undefined;
  const reg = async (): Promise<FileRegistry> => (registry ??= await openRegistry(env.dataDir, { syntheticAssets: env.syntheticAssets ?? 0, redisUrl: env.redisUrl, secretKey: env.secretKey }));
  try {
    switch (command) {
      case 'add':
        return await add(reg, rest, out);
      case 'list':
        return await list(reg, rest, out);
      case 'disable':
      case 'enable':
        return await setEnabled(command, reg, rest, out);
      case '--help':
      case '-h':
      case 'help':
        return help('main', out);
      case undefined:
        out.error(HELP.main);
        return 2;
      default:
        out.error(`cityhub devices: unknown command "${command}"\n\n${HELP.main}`);
        return 2;
    }
  } catch (e) {
    const cmd = command as Command;
    if (e instanceof UsageError) {
      out.error(`cityhub devices ${command}: ${e.message}\n${HELP[cmd].split('\n')[0]}`);
      return 2;
    }
    if (e instanceof DeviceError) {
      out.error(`cityhub devices ${command}: ${e.message}`);
      return e.usage ? 2 : 1;
    }
    out.error(`cityhub devices ${command}: ${(e as Error).message}`);
    return 1;
  } finally {
    await registry?.close();
  }
}
