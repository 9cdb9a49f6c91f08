#!/usr/bin/env -S node --max-semi-space-size=8
// --max-semi-space-size=8: a young generation of 16 MiB rather than V8's 32 (src/ops/heap.ts, SEMI_SPACE_MB).
// The cityhub command runs the compiled composition root (`npm run build` makes dist/).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; },
);
