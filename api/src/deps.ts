import type { EventEmitter } from 'node:events';
import type { AlertEvent, AssetCollection, AuditEntry, DeadLetterReason, Delivery, DeviceAccounting, DeviceRegistry, ExportLicence, ReadyCheck, Role, RuleSet } from '@cityhub/contracts';
import type { DeadLetter, Point, Store } from '@cityhub/store';
import type { CatalogOptions } from './catalog/dcat.js';
import type { ExportLimits } from './export/plan.js';
import type { LiveFeedStats, LiveLimits } from './live-feed.js';
import type { OidcSettings } from './oidc/settings.js';

/** A readiness check: `ok` false makes `/readyz` answer 503 with the reason. */
export type { ReadyCheck } from '@cityhub/contracts';

/** A live dashboard session: its user, their role now, its CSRF token and when it ends (epoch ms). */
export interface PersonSession {
  user: string; role: Role; csrf: string; created: number; idleExpires: number; expires: number;
  /** The person's name from the identity provider (OpenID Connect sign-in). */
  name?: string;
}

/** People who sign in: sessions, lockout and the audit log (the devices workspace's `People`). */
export interface PeopleDeps {
  /** A session when the password is right and neither the name nor the address is locked. */
  signIn(name: string, password: string, address: string | null): Promise<
    { ok: true; id: string; session: PersonSession } | { ok: false; reason: 'failed' } | { ok: false; reason: 'locked'; retryAfterS: number }>;
  /** The live session of a cookie's id, or null (unknown, expired, user disabled, password changed). */
  session(id: string): PersonSession | null;
  signOut(id: string, address: string | null): Promise<void>;
  /** A session for a person an OpenID Connect provider vouched for (`user` is `oidc:<issuer host>:<subject>`); audited. */
  signInExternal(person: { user: string; role: Role; name?: string }, address: string | null): Promise<{ id: string; session: PersonSession }>;
  /** The key that signs the short-lived OpenID Connect sign-in cookie, the same on every api node. */
  loginKey(): Promise<Buffer>;
  audit: {
    append(entry: Omit<AuditEntry, 'at'>): Promise<void>;
    list(q: { limit: number; action?: AuditEntry['action'] | undefined; who?: string | undefined }): AuditEntry[];
  };
}

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
  /** People who sign in to the dashboard (sessions in a cookie), and the audit log; without it no one signs in. */
  people?: PeopleDeps;
  /** OpenID Connect sign-in (`CITYHUB_OIDC_*`); none when absent. It needs `people` for its sessions. */
  oidc?: OidcSettings;
  /** Public read routes (assets, latest, series, live) need no token unless this is false. */
  publicRead?: boolean;
  /** The device registry, for /devices. */
  registry?: Pick<DeviceRegistry, 'list' | 'get' | 'add' | 'setEnabled'>;
  /** Live accounting of a device (status, last seen, readings, gaps). */
  deviceStats?: (id: string) => DeviceAccounting | undefined;
  /** Alerts: their live events, acknowledgement, and notification deliveries. */
  alerts?: {
    events: EventEmitter<{ event: [AlertEvent] }>;
    /** Acknowledges an open or cleared alert, with an optional comment; null when no alert has that id. */
    acknowledge(alert: string, by: string, comment?: string): Promise<AlertEvent | null>;
    deliveries(): readonly Delivery[];
  };
  /** A MapLibre style URL drawn under the city layers (`CITYHUB_BASEMAP_STYLE`); the offline style when absent. */
  basemapStyle?: string;
  /** Raw retention in days, so the dashboard's time slider spans what is kept. */
  retentionDays?: number;
  /** The city's IANA time zone (`CITYHUB_TZ`), so the dashboard shows local times in it; Europe/Athens when absent. */
  timeZone?: string;
  /** The alert rules and notification targets. */
  rules?: { get(): RuleSet; put(input: unknown): Promise<RuleSet> };
  /** Metrics: `/metrics` and request timing; none when absent. */
  metrics?: ApiMetrics;
  /** Re-ingests dead letters that pass validation now. */
  replay?: (letters: readonly DeadLetter[]) => Promise<{ replayed: string[]; stillRejected: Array<{ id: string; reason: DeadLetterReason; message: string }>; notReplayable: string[] }>;
  /**
   * Requests per minute per client address on the public read routes (`CITYHUB_RATE_LIMIT_PER_MIN`);
   * default 600, 0 turns the limit off. Behind a proxy, set `trustProxy` so that the address is the client's.
   */
  rateLimitPerMin?: number;
  /**
   * Origins allowed to call the API from a browser (`CITYHUB_CORS_ORIGINS`): a list, or `'*'` for any.
   * Default: none, so no CORS header is sent and only the hub's own pages (same origin) can call it.
   */
  corsOrigins?: readonly string[] | '*';
  /** Trust `X-Forwarded-For` from these proxies (`CITYHUB_TRUST_PROXY`): true (any), or addresses/CIDRs. */
  trustProxy?: boolean | string | readonly string[];
  /** The MQTT address devices use, for `/asyncapi.json` (default `mqtt://localhost:1883`). */
  mqttUrl?: string;
  /** The licence exports are published under (`CITYHUB_EXPORT_LICENCE`, `CITYHUB_EXPORT_LICENCE_URL`); default CC BY 4.0. */
  exportLicence?: ExportLicence;
  /** Publisher and contact of the DCAT-AP catalogue (`CITYHUB_CATALOG_*`, `CITYHUB_PUBLIC_URL`). */
  catalog?: CatalogOptions;
  /** Bounds of `/export` (rows, range, concurrency); `maxRows` from `CITYHUB_EXPORT_MAX_ROWS`. */
  exportLimits?: Partial<ExportLimits>;
  /** How slow `/live` clients are treated; the defaults are `LIVE_LIMITS`. */
  liveLimits?: Partial<LiveLimits>;
}

/** Where the API reports its own measurements and finds the metrics page (Prometheus text format). */
export interface ApiMetrics {
  render(): Promise<{ contentType: string; body: string }>;
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  liveClients(delta: 1 | -1): void;
  /** Where the live feed's counters are read at each scrape (refused and dropped clients, readings left out). */
  liveStats?(read: () => Readonly<LiveFeedStats>): void;
}

/** What ingest counts per device (the schema is in contracts). */
export type { DeviceAccounting };
