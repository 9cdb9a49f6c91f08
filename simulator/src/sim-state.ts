import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KINDS, type Kind } from '@cityhub/contracts';
import { writeFileAtomic } from '@cityhub/state';

/**
 * What one simulated device keeps, as a real device keeps it in its flash: its credential, its next
 * sequence number and (energy meters) its counter.
 */
export interface SimDeviceState {
  kind: Kind;
  asset: string;
  /** The device's own secret: the simulator is the device side, and a device must know its secret. */
  secret: string;
  /** The registry hash this secret was registered with: equal hashes mean the credential still works. */
  secret_hash: string;
  /** The sequence number of the next reading. */
  next_seq: number;
  /** The device time of its last reading (epoch ms): a backfill starts after it, never rewriting history. */
  last_ts?: number;
  /** Meter counter (kWh) and the instant it was integrated up to (energy devices only). */
  energy_kwh?: number;
  energy_ts?: number;
}

/** `<dataDir>/simulator/credentials.json`. */
export interface SimState {
  version: 1;
  /** False while a simulator runs: true only after a clean stop saved every sequence number. */
  clean: boolean;
  /** The publish interval of the run that saved the file, to bound the readings a crash may have lost. */
  interval_ms: number;
  /** How often that run saved this file (ms). */
  persist_ms: number;
  devices: Record<string, SimDeviceState>;
}

/** Where the simulator keeps its devices' credentials and counters. */
export const simStatePath = (dataDir: string): string => join(dataDir, 'simulator', 'credentials.json');

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function validDevice(d: unknown): d is SimDeviceState {
  const x = d as Partial<SimDeviceState> | null;
  return (
    typeof x === 'object' && x !== null &&
    (KINDS as readonly unknown[]).includes(x.kind) &&
    typeof x.asset === 'string' && typeof x.secret === 'string' && typeof x.secret_hash === 'string' &&
    isNum(x.next_seq) && x.next_seq >= 0 && (x.last_ts === undefined || isNum(x.last_ts)) &&
    (x.energy_kwh === undefined || isNum(x.energy_kwh)) && (x.energy_ts === undefined || isNum(x.energy_ts))
  );
}

/**
 * Loads the simulator's state. A missing file is a fresh start; an unreadable file or entry is dropped
 * with a warning (those devices get new credentials from the registry).
 */
export async function loadSimState(dataDir: string, warn: (obj: object, msg: string) => void): Promise<SimState> {
  const empty: SimState = { version: 1, clean: true, interval_ms: 0, persist_ms: 0, devices: {} };
  let text: string;
  try {
    text = await readFile(simStatePath(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return empty;
    throw e;
  }
  let raw: Partial<SimState>;
  try {
    raw = JSON.parse(text) as Partial<SimState>;
  } catch {
    warn({ path: simStatePath(dataDir) }, 'simulator state is not JSON; starting afresh');
    return empty;
  }
  if (raw.version !== 1 || typeof raw.devices !== 'object' || raw.devices === null) {
    warn({ path: simStatePath(dataDir) }, 'simulator state has an unknown format; starting afresh');
    return empty;
  }
  const devices: Record<string, SimDeviceState> = {};
  for (const [id, d] of Object.entries(raw.devices)) {
    if (validDevice(d)) devices[id] = d;
    else warn({ device: id }, 'simulator state entry unreadable; the device will be provisioned again');
  }
  return {
    version: 1,
    clean: raw.clean === true,
    interval_ms: isNum(raw.interval_ms) ? raw.interval_ms : 0,
    persist_ms: isNum(raw.persist_ms) ? raw.persist_ms : 0,
    devices,
  };
}

/** Saves the simulator's state atomically, readable by its owner only (it holds device secrets). */
export async function saveSimState(dataDir: string, state: SimState): Promise<void> {
  await mkdir(join(dataDir, 'simulator'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(simStatePath(dataDir), JSON.stringify(state) + '\n', 0o600);
}
