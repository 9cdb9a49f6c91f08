import { isReadingKind, type AssetFeature, type Logger, type NewDevice } from '@cityhub/contracts';
import { isValidDeviceId, type FileRegistry } from '@cityhub/devices';
import type { SimState } from './sim-state.js';

/** The stable id of the simulated device on an asset: `sim-<asset id>`. */
export const simDeviceId = (assetId: string): string => `sim-${assetId}`;

/** A simulated device ready to run. */
export interface FleetMember { id: string; asset: AssetFeature }

/**
 * Makes sure every asset's simulated device exists in the registry with the credential the simulator
 * holds. Devices it already holds a working credential for are reused without any hashing (the stored
 * hash equals the registry's); missing ones are created and those whose credential no longer matches get
 * a new secret, each in one batch (one registry write, bounded scrypt concurrency). A device an operator
 * disabled, or an id taken by a device on another asset, is left alone and not simulated.
 * Updates `state.devices` in place; the caller saves it.
 */
export async function provisionFleet(registry: FileRegistry, assets: readonly AssetFeature[], state: SimState, logger: Logger):
  Promise<{ members: FleetMember[]; created: number; renewed: number; skipped: number }> {
  const members: FleetMember[] = [];
  const toCreate: { kind: AssetFeature['properties']['kind']; asset: string; id: string; simulated: true }[] = [];
  const toRenew: string[] = [];
  let skipped = 0;
  for (const asset of assets) {
    const kind = asset.properties.kind;
    const id = simDeviceId(asset.id);
    if (!isValidDeviceId(id)) {
      logger.warn({ asset: asset.id }, 'asset id does not make a valid device id; not simulated');
      skipped++;
      continue;
    }
    const rec = registry.get(id);
    const cred = state.devices[id];
    if (rec && (rec.kind !== kind || rec.asset !== asset.id)) {
      logger.warn({ device: id, asset: rec.asset }, 'device id taken by a device on another asset; not simulated');
      skipped++;
      continue;
    }
    if (rec && !rec.enabled) {
      logger.info({ device: id }, 'simulated device is disabled in the registry; not simulated');
      skipped++;
      continue;
    }
    if (!rec) toCreate.push({ kind, asset: asset.id, id, simulated: true });
    else if (!cred || cred.secret_hash !== rec.secret_hash) toRenew.push(id);
    members.push({ id, asset });
  }

  const remember = (d: NewDevice): void => {
    // The simulator provisions only devices that send readings.
    if (!isReadingKind(d.kind)) return;
    const prev = state.devices[d.id];
    state.devices[d.id] = {
      // Sequence and meter counter survive a new credential: the device is the same.
      ...prev,
      kind: d.kind,
      asset: d.asset,
      secret: d.secret,
      secret_hash: registry.get(d.id)!.secret_hash,
      next_seq: prev?.next_seq ?? 0,
    };
  };
  if (toCreate.length > 0) (await registry.addMany(toCreate)).forEach(remember);
  if (toRenew.length > 0) (await registry.resetSecrets(toRenew)).forEach(remember);
  return { members, created: toCreate.length, renewed: toRenew.length, skipped };
}
