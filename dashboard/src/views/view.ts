import type { AlertBook } from '../model/alerts.js';
import type { AssetIndex } from '../model/assets.js';
import type { Busy } from '../page/busy.js';
import type { PageSession } from '../page/session.js';
import type { Shown } from '../ui/display.js';
import type { SeriesCache } from '../data/series-cache.js';
import type { Period } from '../time/time-query.js';

/** The moment and choices every analysis view follows. */
export interface ViewContext {
  /** The dashboard's moment (now when live), epoch ms. */
  t: number;
  live: boolean;
  period: Period;
  /** The asset selected on the map, if any. */
  selected: string | null;
}

/** What the views share: the API (through the cache), the catalogue and the map's current values. */
export interface ViewDeps {
  cache: SeriesCache;
  origin: string;
  assets: AssetIndex;
  busy: Busy;
  /** What an asset shows at the dashboard's moment (live or history). */
  shownOf: (id: string) => Shown | null;
  /** Opens an asset's details panel (and selects it on the map). */
  openAsset: (id: string) => void;
  /** The alerts known, kept current by the live socket. */
  alerts: AlertBook;
  /** Reads the alert list again (after it failed to load). */
  reloadAlerts: () => void;
  /** Who is signed in, and the requests they make (acknowledgements). */
  session: PageSession;
  /** A drag across a time chart picked [from, to) (epoch ms): the dashboard moves there. */
  pick?: (from: number, to: number) => void;
}

/** One analysis drawer: built once into its root, then updated whenever the context changes. */
export interface AnalysisView {
  readonly root: HTMLElement;
  /** Loads and draws for `ctx`; cheap when nothing it depends on changed. */
  update(ctx: ViewContext): Promise<void>;
  /** What it last computed and the URLs it read, for the test hook. */
  data(): unknown;
}
