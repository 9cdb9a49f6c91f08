import { DeviceKind, GATEWAY_KIND, type DeviceRecord } from '@cityhub/contracts';
import { findAsset, SYNTHETIC_PREFIX } from '@cityhub/contracts/catalogue';
import { DeviceError } from '../errors.js';
import { isValidDeviceId } from './ids.js';

/**
 * A device to create: a reading device on a catalogue asset of its kind (optionally under a `gateway` that
 * speaks for it), or a gateway (`asset` then names where it stands, its own id unless given).
 */
export interface AddDeviceInput { kind: DeviceKind; asset?: string | undefined; id?: string | undefined; simulated?: boolean | undefined; gateway?: string | undefined }

/**
 * A device to add, checked: a known kind and a valid id; a gateway stands anywhere and is under no gateway; a
 * reading device is on a catalogue asset of its kind, and its gateway (if any) is a registered gateway.
 */
export function checkDeviceInput(input: AddDeviceInput, get: (id: string) => DeviceRecord | undefined, syntheticAssets: number): AddDeviceInput {
  const kind = DeviceKind.safeParse(input.kind);
  if (!kind.success) throw new DeviceError('BAD_KIND', `unknown kind "${String(input.kind)}": use one of ${DeviceKind.options.join(', ')}`);
  if (input.id !== undefined && !isValidDeviceId(input.id)) {
    throw new DeviceError('BAD_ID', `bad device id "${input.id}": 3 to 64 lower-case letters, digits and dashes, starting with a letter or digit`);
  }
  if (kind.data === GATEWAY_KIND) {
    if (input.gateway !== undefined) throw new DeviceError('BAD_GATEWAY', 'a gateway cannot itself be under a gateway');
    if (input.asset !== undefined && !/^[\w .:/-]{1,200}$/.test(input.asset)) throw new DeviceError('UNKNOWN_ASSET', 'a gateway\'s asset names where it stands: 1 to 200 letters, digits, spaces and . : / - _');
    return { kind: kind.data, asset: input.asset, id: input.id, simulated: input.simulated };
  }
  if (input.gateway !== undefined && get(input.gateway)?.kind !== GATEWAY_KIND) {
    throw new DeviceError('BAD_GATEWAY', `no gateway ${input.gateway}: create it first with cityhub devices add --kind gateway`);
  }
  const asset = input.asset === undefined ? undefined : findAsset(input.asset, { synthetic: syntheticAssets });
  if (!asset || input.asset === undefined) {
    const hint = input.asset?.startsWith(SYNTHETIC_PREFIX)
      ? ` (it holds ${syntheticAssets} synthetic assets: CITYHUB_SYNTHETIC_ASSETS sets how many)`
      : '';
    throw new DeviceError('UNKNOWN_ASSET', `no asset "${input.asset ?? ''}" in the catalogue${hint}`);
  }
  if (asset.properties.kind !== kind.data) {
    throw new DeviceError('WRONG_KIND', `asset ${input.asset} is a ${asset.properties.kind} asset, not ${kind.data}`);
  }
  return { kind: kind.data, asset: input.asset, id: input.id, simulated: input.simulated, gateway: input.gateway };
}
