import { readFileSync } from 'node:fs';

/** The hub's version, from the root package.json (two levels above `src/ops/` and `dist/ops/`). */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
