import type { EventEmitter } from 'node:events';
import type { AssetCollection, DeviceRegistry, Role } from '@cityhub/contracts';
import type { DeadLetter, Point, Store } from '@cityhub/store';

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
  /** Checks API tokens; without it every protected route answers 401. */
  auth?: { verify(token: string): { id: string; role: Role } | null };
  /** Public read routes (assets, latest, series, live) need no token unless this is false. */
  publicRead?: boolean;
  /** The device registry, for /devices. */
  registry?: Pick<DeviceRegistry, 'list' | 'get' | 'add' | 'setEnabled'>;
  /** Live accounting of a device (status, last seen, readings, gaps). */
  deviceStats?: (id: string) => DeviceAccounting | undefined;
  /** Metrics: `/metrics` and request timing; none when absent. */
  metrics?: ApiMetrics;
  /** Re-ingests dead letters that pass validation now. */
  replay?: (letters: readonly DeadLetter[]) => Promise<{ replayed: string[]; stillRejected: Array<{ id: string; reason: string; message: string }>; notReplayable: string[] }>;
}

/** Where the API reports its own measurements and finds the metrics page (Prometheus text format). */
export interface ApiMetrics {
  render(): Promise<{ contentType: string; body: string }>;
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  liveClients(delta: 1 | -1): void;
}

/** What ingest counts per device. */
export interface DeviceAccounting {
  status: 'online' | 'offline' | 'unknown';
  lastSeen: number | null;
  lastTs: number | null;
  readings: number;
  gaps: number;
  repeats: number;
  rejected: Record<string, number>;
}
