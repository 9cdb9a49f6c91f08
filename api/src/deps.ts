import type { EventEmitter } from 'node:events';
import type { AssetCollection } from '@cityhub/contracts';
import type { Point, Store } from '@cityhub/store';

/** A readiness check: `ok` false makes `/readyz` answer 503 with the reason. */
export interface ReadyCheck { ok: boolean; detail?: string }

/** What the composition root hands the API. */
export interface ApiDeps {
  store: Store;
  catalogue: AssetCollection;
  /** The municipality boundary GeoJSON. */
  boundary: unknown;
  /** Emits `points` with readings as they become durable. */
  live: EventEmitter<{ points: [Point[]] }>;
  /** Readiness of the parts the API depends on (broker, store, spool…). */
  readiness?: () => Record<string, ReadyCheck>;
  /** Folder of the built dashboard, served at `/`. */
  dashboardDir?: string;
}
