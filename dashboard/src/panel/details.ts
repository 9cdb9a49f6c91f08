import type { AssetProperties } from '@cityhub/contracts';
import { formatValue } from '../ui/format.js';

const KIND_LABEL = { traffic: 'Road link', wifi: 'Wi-Fi hotspot', energy: 'Building energy meter' } as const;

/** A kind's label for people. */
export function kindLabel(p: AssetProperties): string {
  return KIND_LABEL[p.kind];
}

const km = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
const int = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });

/** The catalogue facts the side panel lists for an asset, marking which are simulated or assumed. */
export function detailRows(p: AssetProperties): [string, string][] {
  switch (p.kind) {
    case 'traffic':
      return [
        ['Length', `${km.format(p.length_m / 1000)} km`],
        ['Free-flow speed', `${formatValue('speed_kmh', p.free_flow_kmh)} (assumed from road class)`],
        ['From detector', `#${p.origin_detector}`],
        ['To detector', `#${p.destination_detector}`],
        ['Path id', String(p.path_id)],
      ];
    case 'wifi':
      return [
        ['Venue', p.venue],
        ['Category', p.category],
        ['Capacity', `${int.format(p.capacity)} clients (simulated)`],
      ];
    case 'energy':
      return [
        ['Venue', p.venue],
        ['Use', `${p.use} (simulated)`],
        ['Floor area', `${int.format(p.floor_area_m2)} m² (simulated)`],
        ['Power limit', `${formatValue('power_kw', p.power_limit_kw)} (simulated)`],
      ];
  }
}
