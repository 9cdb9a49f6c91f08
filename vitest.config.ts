import { defaultClientConditions, defaultServerConditions } from 'vite';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Workspaces import each other's TypeScript sources in tests through the `source` export condition,
// so unit tests need no build; end-to-end tests run the built `cityhub` (npm test builds first).
// Only `source` is added to Vite's own lists: a generic condition such as `import` would reach Node as
// --conditions and make CommonJS `require('ws')` load ws's ESM wrapper.
// The workspaces' own tests share a worker's modules between files (`isolate: false`): importing fastify, aedes and
// zod once per worker rather than once per file saved about a minute of `npm test` on a 2-core machine. The store's
// tests (DuckDB files, influxd outages), the browser tests and the end-to-end tests keep a fresh process per file.
const project = (name: string, include: string[], testTimeout = 20_000, isolate = true) => ({
  extends: true as const,
  test: { name, include, testTimeout, hookTimeout: 60_000, isolate },
});

export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  test: {
    pool: 'forks',
    // Files at a time. vitest's own default is one less than the cores: one at a time on a 2-core machine, where most
    // files wait on hubs, browsers and timers rather than compute (npm test took 16 minutes that way, about 7 with 3).
    maxWorkers: Math.max(3, availableParallelism()),
    // CI also writes a JSON report, from which .ci/run prints a plain pass/fail line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
    projects: [
      project('contracts', ['contracts/src/**/*.test.ts'], 20_000, false),
      project('state', ['state/test/**/*.test.ts'], 20_000, false),
      project('store', ['store/src/**/*.test.ts', 'store/test/**/*.test.ts'], 60_000),
      project('broker', ['broker/src/**/*.test.ts'], 20_000, false),
      project('ingest', ['ingest/src/**/*.test.ts'], 20_000, false),
      project('alerts', ['alerts/test/**/*.test.ts'], 20_000, false),
      project('api', ['api/src/**/*.test.ts'], 20_000, false),
      project('devices', ['devices/src/**/*.test.ts'], 20_000, false),
      project('simulator', ['simulator/test/**/*.test.ts'], 30_000, false),
      project('dashboard-unit', ['dashboard/src/**/*.test.ts'], 20_000, false),
      project('dashboard', ['dashboard/test/**/*.test.ts'], 90_000),
      project('e2e', ['test/**/*.test.ts', 'src/**/*.test.ts'], 90_000),
    ],
  },
});
