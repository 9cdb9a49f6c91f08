import type { AssetFeature, AssetProperties, DeviceRecord, Kind } from '@cityhub/contracts';

/** A column's type in the Parquet file (a DuckDB type). */
export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BOOLEAN';
interface AttributeColumn { name: string; type: ColumnType; get(p: AssetProperties): string | number | boolean | null }

const prop = (name: string, type: ColumnType): AttributeColumn => ({
  name, type, get: (p) => ((p as unknown as Record<string, string | number | boolean | undefined>)[name] ?? null),
});

/** The catalogue attributes joined into every row, per kind. */
export const ATTRIBUTE_COLUMNS: Record<Kind, readonly AttributeColumn[]> = {
  traffic: [prop('length_m', 'DOUBLE'), prop('free_flow_kmh', 'DOUBLE'), prop('free_flow_assumed', 'BOOLEAN')],
  wifi: [prop('venue', 'VARCHAR'), prop('category', 'VARCHAR'), prop('capacity', 'INTEGER')],
  energy: [prop('venue', 'VARCHAR'), prop('use', 'VARCHAR'), prop('floor_area_m2', 'DOUBLE')],
};

/** An asset as every export format describes it, computed once per export. */
export interface AssetInfo {
  feature: AssetFeature;
  id: string;
  name: string;
  attributes: ReadonlyArray<string | number | boolean | null>;
  /** The asset or some of its attributes are simulated, or it is a synthetic copy of a real one. */
  assetSimulated: boolean;
  /** Every device registered on the asset now is simulated; null when none is registered. */
  readingsSimulated: boolean | null;
}

/** Joins the catalogue and the registry: what each asset of an export is. */
export function describeAssets(kind: Kind, assets: readonly AssetFeature[], devices: readonly DeviceRecord[]): AssetInfo[] {
  const sim = new Map<string, { simulated: number; real: number }>();
  for (const d of devices) {
    const c = sim.get(d.asset) ?? { simulated: 0, real: 0 };
    if (d.simulated) c.simulated++;
    else c.real++;
    sim.set(d.asset, c);
  }
  return assets.map((f) => {
    const p = f.properties as AssetProperties & { simulated?: boolean; synthetic?: boolean };
    const c = sim.get(f.id);
    return {
      feature: f, id: f.id, name: p.name,
      attributes: ATTRIBUTE_COLUMNS[kind].map((a) => a.get(p)),
      assetSimulated: p.simulated === true || p.synthetic === true,
      readingsSimulated: c ? c.real === 0 : null,
    };
  });
}

/** Column names in the order every format uses: time, asset, attributes, flags, then every metric of the kind. */
export function columnNames(kind: Kind, metrics: readonly string[]): string[] {
  return ['bucket_start', 'asset', 'name', ...ATTRIBUTE_COLUMNS[kind].map((a) => a.name), 'asset_simulated', 'readings_simulated', ...metrics];
}
