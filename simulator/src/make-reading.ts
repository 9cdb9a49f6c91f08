import type { AssetFeature, EnergyReading, TrafficReading, WifiReading } from '@cityhub/contracts';
import type { FleetModels } from './fleet-models.js';
import { buildingParams, energyAt, meterBaselineKwh } from './models/energy.js';
import { linkParams, trafficAt } from './models/traffic.js';
import { wifiAt } from './models/wifi.js';
import type { SimDeviceState } from './sim-state.js';

/** A meter that was off longer than this counts only the last 90 days on restart (bounds the work). */
const MAX_ENERGY_GAP_MS = 90 * 86_400_000;

/** One telemetry reading as a simulated device sends it: the contract's reading of its kind, every metric present. */
export type SimReading = Required<TrafficReading> | Required<WifiReading> | Required<EnergyReading>;

/**
 * The next reading of a simulated device at instant `t`: takes the next sequence number, records `t` as
 * the device's last reading time and, for an energy meter, advances its counter in `state`. Without
 * `models`, traffic has no incidents, Wi-Fi its default events, and the city clock is Europe/Athens.
 */
export function makeReading(asset: AssetFeature, state: SimDeviceState, t: number, models?: FleetModels): SimReading {
  const props = asset.properties;
  const head = { ts: t, seq: state.next_seq++ };
  state.last_ts = Math.max(state.last_ts ?? t, t);
  switch (props.kind) {
    case 'traffic':
      return { ...head, ...trafficAt(props, t, linkParams(props, models?.clock), models?.incidents.cut(props.id, t) ?? 0) };
    case 'wifi':
      return { ...head, ...wifiAt(props, t, models?.wifi) };
    case 'energy': {
      const b = props;
      const p = buildingParams(b, models?.clock, models?.retrofitAt ?? null);
      const prevKwh = state.energy_kwh ?? meterBaselineKwh(b, t);
      const prevTs = Math.max(state.energy_ts ?? t, t - MAX_ENERGY_GAP_MS);
      const r = energyAt(b, t, prevTs, prevKwh, p);
      state.energy_kwh = r.kwh;
      state.energy_ts = r.ts;
      return { ...head, ...r.metrics };
    }
  }
}
