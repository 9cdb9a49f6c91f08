import type { Map as MapLibreMap } from 'maplibre-gl';
import type { AlertView } from '../model/alerts.js';
import type { AssetIndex } from '../model/assets.js';
import type { Clock } from '../time/clock.js';
import type { Shown } from '../ui/display.js';
import { assetAt } from './map.js';
import type { Flag } from './map.js';
import { tooltipContent } from './tooltip.js';
import type { Tooltip } from './tooltip.js';

/** Hover (flag + tooltip of what the asset shows at the dashboard's moment) and click (open its panel). */
export function wirePointer(map: MapLibreMap, deps: {
  assets: AssetIndex; clock: Clock; hover: Flag; tooltip: Tooltip; shownOf: (id: string) => Shown | null; open: (id: string) => void;
  /** The asset's alerts open at the dashboard's moment, and rule names for them. */
  alertsOf: (id: string) => AlertView[]; ruleName: (rule: string) => string;
}): void {
  map.on('mousemove', (e) => {
    const id = assetAt(map, e);
    deps.hover.set(id);
    map.getCanvas().style.cursor = id ? 'pointer' : '';
    const asset = id ? deps.assets.find(id) : undefined;
    const c = deps.clock.state;
    if (asset) {
      const content = tooltipContent(asset, deps.shownOf(asset.id), c.live ? Date.now() : c.t, c.live);
      for (const a of deps.alertsOf(asset.id)) content.rows.unshift(['Alert', `${a.severity}: ${deps.ruleName(a.rule)}`]);
      deps.tooltip.show(content, e.point.x, e.point.y);
    }
    else deps.tooltip.hide();
  });
  map.getCanvas().addEventListener('mouseleave', () => {
    deps.hover.set(null);
    deps.tooltip.hide();
  });
  map.on('click', (e) => {
    const id = assetAt(map, e);
    if (id) deps.open(id);
  });
}
