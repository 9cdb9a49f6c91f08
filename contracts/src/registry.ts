import { z } from 'zod';
import { DeviceKind } from './kinds.js';
import { DEVICE_ID_PATTERN } from './topics.js';

/** A device as the registry keeps it: never a plain secret, only its scrypt hash. */
export const DeviceRecord = z.object({
  id: z.string().regex(DEVICE_ID_PATTERN),
  kind: DeviceKind,
  /** The catalogue asset its readings belong to; for a gateway, where it stands (its own id unless named). */
  asset: z.string().min(1),
  /** The gateway that speaks for this device, which may publish its readings and status. */
  gateway: z.string().regex(DEVICE_ID_PATTERN).optional(),
  /** `scrypt$N$r$p$saltB64$hashB64` */
  secret_hash: z.string(),
  enabled: z.boolean(),
  created_at: z.string(),
  /** Set for devices the simulator provisioned. */
  simulated: z.boolean().optional(),
});
export type DeviceRecord = z.infer<typeof DeviceRecord>;

/** What `cityhub devices add --json` prints, and `POST /api/v1/devices` answers: the secret, shown once. */
export const NewDevice = z.object({ id: z.string(), secret: z.string(), kind: DeviceKind, asset: z.string(), gateway: z.string().optional() });
export type NewDevice = z.infer<typeof NewDevice>;

/**
 * Roles of API tokens and of people who sign in: a viewer reads (also when public reading is off); an operator
 * also acknowledges alerts, reads devices and manages dead letters; an admin may also change devices and rules.
 */
export const Role = z.enum(['viewer', 'operator', 'admin']);
export type Role = z.infer<typeof Role>;

/** An API token as kept on disk: only a SHA-256 of the (high-entropy) token. */
export const TokenRecord = z.object({
  id: z.string().regex(/^[0-9a-f]{8}$/),
  role: Role,
  name: z.string().max(200).optional(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

/** What the hub counts per device since it started: readings, last seen, sequence gaps and repeats, rejections by reason. */
export const DeviceAccounting = z.object({
  readings: z.number(),
  rejected: z.record(z.string(), z.number()),
  /** Hub time of the last message, epoch ms. */
  lastSeen: z.number().nullable(),
  /** Device time of the newest reading, epoch ms. */
  lastTs: z.number().nullable(),
  maxSeq: z.number().nullable(),
  /** Sequence numbers skipped (readings lost before they reached the hub). */
  gaps: z.number(),
  /** Readings whose seq was not above the highest seen (re-deliveries or late flushes). */
  repeats: z.number(),
  /** From the retained status and the last will; `unknown` before the hub heard either. */
  status: z.enum(['online', 'offline', 'unknown']),
});
export type DeviceAccounting = z.infer<typeof DeviceAccounting>;

/** The device registry, shared by the broker (authentication), ingest (binding), the API and the CLI. */
export interface DeviceRegistry {
  /**
   * The device, or undefined if unknown. Sees devices added by other processes. The record is the registry's own,
   * read-only (frozen): it is read once per reading and per session check, so it is not copied.
   */
  get(id: string): Readonly<DeviceRecord> | undefined;
  /**
   * True when the device exists, is enabled and the secret matches. `cachedOnly`: answer from the secrets
   * verified before (no slow hash), false otherwise.
   */
  verify(id: string, secret: string, opts?: { cachedOnly?: boolean }): Promise<boolean>;
  /** Creates a device on an asset of its kind; returns its secret once. */
  add(input: { kind: DeviceKind; asset?: string; id?: string; simulated?: boolean; gateway?: string }): Promise<NewDevice>;
  list(): DeviceRecord[];
  setEnabled(id: string, enabled: boolean): Promise<DeviceRecord>;
}
