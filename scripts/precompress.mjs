// Writes `.br` and `.gz` beside every compressible file of a built folder (the dashboard's dist), once per
// build: the API serves them in place of the file to clients that accept them (@fastify/static `preCompressed`),
// so the bundle is compressed once, at the strongest settings, rather than on every request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Files worth compressing: text formats; images and fonts are compressed already. */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|geojson|map|txt|xml|wasm)$/;
/** Smaller files go as they are (the API's on-the-fly threshold is the same). */
export const MIN_BYTES = 1024;

/** Every file under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Writes what is missing or older than its file; returns how many files it compressed. */
export function precompress(dir) {
  let n = 0;
  for (const file of files(dir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const { size, mtimeMs } = statSync(file);
    if (size < MIN_BYTES) continue;
    const fresh = (ext) => (statSync(file + ext, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= mtimeMs;
    if (fresh('.br') && fresh('.gz')) continue;
    const body = readFileSync(file);
    writeFileSync(file + '.br', brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: size },
    }));
    writeFileSync(file + '.gz', gzipSync(body, { level: constants.Z_BEST_COMPRESSION }));
    n++;
  }
  return n;
}
