import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cityClock, DEFAULT_CITY_TZ, ExportCollection, ExportFormat, Kind, SeriesAgg, type ExportLicence } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { describeAssets, type AssetInfo } from '../export/columns.js';
import { csvPieces } from '../export/csv.js';
import { geojsonPieces } from '../export/geojson.js';
import { writeParquet } from '../export/parquet.js';
import { DEFAULT_EXPORT_STEP_S, EXPORT_LIMITS, exportFileName, planExport, type ExportLimits, type ExportPlan } from '../export/plan.js';
import { readByAsset, readByTime, type Row } from '../export/read.js';
import { localTimeParam, readTime, stepParam, tzParam } from '../query.js';
import { errors, ANONYMOUS } from '../responses.js';

/** Unless the city says otherwise, its readings are open data under CC BY 4.0. */
export const DEFAULT_EXPORT_LICENCE: ExportLicence = { name: 'CC-BY-4.0', url: 'https://creativecommons.org/licenses/by/4.0/' };

/** A header value: printable ASCII as it is, anything else percent-encoded (a header cannot carry raw UTF-8). */
const headerValue = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : encodeURI(s));

const MEDIA = { csv: 'text/csv; charset=utf-8; header=present', geojson: 'application/geo+json', parquet: 'application/vnd.apache.parquet' } as const;

const Query = z.strictObject({
  kind: Kind.describe('The kind of asset: every asset of it is exported.'),
  from: localTimeParam('from', 'Start (inclusive); default a day before `to`. Widened to the step.').optional(),
  to: localTimeParam('to', 'End (exclusive); default now. Widened to the step.').optional(),
  step: stepParam('Bucket width, at least 60 s; default 15m. A whole number of days buckets by local calendar days of `tz`.').optional(),
  agg: SeriesAgg.default('mean').describe('Aggregate per bucket, for every metric; a meter counter (energy_kwh) keeps its last value for mean and sum. ' +
    '`delta`: the energy used per bucket for counters (README "Energy used"), the mean for every other metric.'),
  tz: tzParam().optional(),
  format: ExportFormat.default('csv').describe('csv, geojson or parquet.'),
  licence_columns: z.enum(['true', 'false']).optional()
    .describe('CSV only: `true` adds `licence`, `licence_url` and `attribution` columns to every row, so that the file itself carries them.'),
});

/** Hands on the first piece, already read, then the rest. */
async function* resume<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    if (first.done) return;
    yield first.value;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

/** The headers of a download: its type and name, the licence and the attribution. */
function downloadHeaders(plan: ExportPlan, licence: ExportLicence, attribution: string): Record<string, string> {
  return {
    'content-type': MEDIA[plan.format],
    'content-disposition': `attachment; filename="${exportFileName(plan)}"`,
    link: `<${headerValue(licence.url)}>; rel="license"`,
    'x-licence': headerValue(licence.name),
    'x-attribution': headerValue(attribution),
    'x-time-zone': plan.tz,
  };
}

/** Writes the export as a Parquet file in a temporary folder, sends it, and leaves nothing behind. */
async function sendParquet(reply: FastifyReply, plan: ExportPlan, assets: readonly AssetInfo[], points: AsyncIterable<Row[]>, meta: { licence: ExportLicence; attribution: string }, headers: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-export-'));
  try {
    const file = join(dir, exportFileName(plan));
    const rows = await writeParquet(plan, assets, points, meta, dir, file);
    // Open, then delete: the open file stays readable, and nothing is left behind whatever the client does.
    const fh = await open(file);
    const { size } = await fh.stat();
    reply.request.log.info({ rows, bytes: size }, 'parquet export written');
    return reply.headers({ ...headers, 'content-length': size }).send(fh.createReadStream());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The OpenAPI description of `GET /export`, with its limits. */
function exportSchema(limits: ExportLimits) {
  return {
    operationId: 'exportReadings', summary: 'Open data export of a kind: every asset per step, as CSV, GeoJSON or Parquet',
    description: 'One row per asset and bucket that has a reading, with the asset\'s attributes (name; links: length_m, free_flow_kmh, ' +
      'free_flow_assumed; hotspots: venue, category, capacity; buildings: venue, use, floor_area_m2), `asset_simulated`, ' +
      '`readings_simulated` and every metric of the kind as columns. CSV (RFC 4180) and GeoJSON (RFC 7946, one Feature per asset with its ' +
      'buckets in `properties.buckets`) are streamed as they are read, in constant memory whatever the range; Parquet is written by DuckDB ' +
      'and sent when complete, with licence and attribution in its key-value metadata. Every format carries the licence in ' +
      '`Link: <…>; rel="license"` and the attribution in `X-Attribution`; the zone of its day buckets and bare dates in `X-Time-Zone` ' +
      '(default the city\'s, `CITYHUB_TZ`), in GeoJSON\'s `tz` and in Parquet\'s metadata. A stream cut short by a failure ends without its final chunk. ' +
      `Limits: step at least ${limits.minStepS} s; range at most ${Math.round(limits.maxRangeMs / 86_400_000)} days; ` +
      `assets × buckets at most ${limits.maxRows}; at most ${limits.maxConcurrent} exports at once per node (else 503 with retry-after).`,
    tags: ['open data'], security: ANONYMOUS, querystring: Query,
    response: {
      200: {
        description: 'The export, as a download (`Content-Disposition: attachment`)',
        content: {
          'text/csv': { schema: z.string().describe('RFC 4180 CSV with a header line; CRLF line ends') },
          'application/geo+json': { schema: ExportCollection },
          'application/vnd.apache.parquet': { schema: z.string().meta({ format: 'binary' }) },
        },
      },
      ...errors(400, 401, 429, 503),
    },
  };
}

/** `GET /export`: open data, every asset of a kind per step, streamed as CSV or GeoJSON, or as a Parquet file. */
export const exportRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const limits = { ...EXPORT_LIMITS, ...deps.exportLimits };
  const licence = deps.exportLicence ?? DEFAULT_EXPORT_LICENCE;
  const meta = { licence, attribution: deps.catalogue.attribution };
  let running = 0;

  app.get('/export', { schema: exportSchema(limits) }, async (req, reply) => {
    const q = req.query;
    const clock = cityClock(q.tz ?? deps.timeZone ?? DEFAULT_CITY_TZ);
    const plan = planExport({
      kind: q.kind, format: q.format, from: readTime(q.from, clock), to: readTime(q.to, clock), stepS: q.step ?? DEFAULT_EXPORT_STEP_S, agg: q.agg, clock,
    }, deps.catalogue.features, limits, Date.now());
    // HEAD: the query checked and the headers of the download, without reading the store (the length is not known).
    if (req.method === 'HEAD') return (reply as FastifyReply).headers(downloadHeaders(plan, licence, meta.attribution)).send();
    if (running >= limits.maxConcurrent) {
      return reply.status(503).header('retry-after', '30')
        .send({ error: { code: 'UNAVAILABLE', message: `${running} exports are running on this node, the most it serves at once; retry in a little while` } });
    }
    running++;
    let released = false;
    const release = () => {
      if (!released) running--;
      released = true;
    };
    const aborted = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
      release();
    });
    try {
      const assets = describeAssets(plan.kind, plan.assets, deps.registry?.list() ?? []);
      const read = () => readByTime(deps.store, plan, limits.chunkPoints, aborted.signal);
      // Set only once the export is ready to go, so that an error answer is not dressed as a download.
      const headers = downloadHeaders(plan, licence, meta.attribution);
      if (plan.format === 'parquet') return await sendParquet(reply, plan, assets, read(), meta, headers);
      const pieces = plan.format === 'csv'
        ? csvPieces(plan, assets, read(), q.licence_columns === 'true' ? meta : undefined)
        : geojsonPieces(plan, assets, readByAsset(deps.store, plan, limits.chunkPoints, aborted.signal), meta);
      // The first piece is read before the status line is sent, so that a store that is down gives a 503.
      const first = await pieces.next();
      // A stream is sent as it is; the schemas above document its content (the typed reply only knows bodies).
      return (reply as FastifyReply).headers(headers).send(Readable.from(resume(first, pieces), { objectMode: false }));
    } catch (e) {
      release();
      // A client that left while its Parquet file was being written: nobody is there to read an error.
      if (aborted.signal.aborted) {
        req.log.info('export abandoned by its client');
        throw new ApiError('UNAVAILABLE', 'the export was abandoned by its client');
      }
      throw e;
    }
  });
};
