import type { ExportLicence } from '@cityhub/contracts';
import { ATTRIBUTE_COLUMNS, type AssetInfo } from './columns.js';
import type { ExportPlan } from './plan.js';
import type { AssetBlock } from './read.js';

const PIECE = 64 * 1024;

/**
 * GeoJSON (RFC 7946): a FeatureCollection with one Feature per asset of the kind, its geometry written
 * once and its buckets as `properties.buckets` in time order. One Feature per asset × bucket would repeat a
 * link's LineString in every bucket (a month at 15 min: 2,880 copies); this shape is as streamable, since an
 * asset's buckets are written as they are read, and the Feature closes after its last run. Licence and
 * attribution are foreign members of the collection; coordinates are lon, lat (WGS 84) and there is no `crs`.
 */
export async function* geojsonPieces(plan: ExportPlan, assets: readonly AssetInfo[], blocks: AsyncIterable<AssetBlock>, meta: { licence: ExportLicence; attribution: string }): AsyncGenerator<string> {
  const head = {
    type: 'FeatureCollection', kind: plan.kind, from: new Date(plan.from).toISOString(), to: new Date(plan.to).toISOString(),
    step_s: plan.stepS, agg: plan.agg, tz: plan.tz, metrics: plan.metrics, licence: meta.licence, attribution: meta.attribution,
  };
  let out = JSON.stringify(head).slice(0, -1) + ',"features":[';
  const keys = plan.metrics.map((m) => `,${JSON.stringify(m)}:`);
  const attrNames = ATTRIBUTE_COLUMNS[plan.kind].map((a) => a.name);
  let features = 0;
  let rowsInFeature = 0;
  for await (const b of blocks) {
    const a = assets[b.asset]!;
    if (b.first) {
      const props: Record<string, unknown> = { asset: a.id, name: a.name };
      attrNames.forEach((n, i) => { props[n] = a.attributes[i]; });
      props.asset_simulated = a.assetSimulated;
      props.readings_simulated = a.readingsSimulated;
      const feature = { type: 'Feature', id: a.id, geometry: a.feature.geometry, properties: { ...props, buckets: [] } };
      // Everything up to the open list of buckets: `…,"buckets":[`.
      out += (features++ ? ',' : '') + JSON.stringify(feature).slice(0, -3);
      rowsInFeature = 0;
    }
    for (const r of b.rows) {
      out += `${rowsInFeature++ ? ',' : ''}{"ts":"${new Date(r.ts).toISOString()}"`;
      r.values.forEach((v, i) => { out += keys[i]! + (v === null ? 'null' : String(v)); });
      out += '}';
      if (out.length >= PIECE) {
        yield out;
        out = '';
      }
    }
    if (b.last) out += ']}}';
  }
  yield out + ']}';
}
