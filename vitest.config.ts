import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspaces import each other's TypeScript sources in tests through the `source` export condition,
// so unit tests need no build; end-to-end tests run the built `cityhub` (npm test builds first).
// Only `source` is added to Vite's own lists: a generic condition such as `import` would reach Node as
// --conditions and make CommonJS `require('ws')` load ws's ESM wrapper.
const project = (name: string, include: string[], testTimeout = 20_000) => ({
  extends: true as const,
  test: { name, include, testTimeout, hookTimeout: 60_000 },
});

export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  test: {
    pool: 'forks',
    // CI also writes a JSON report, from which .ci/run prints a plain pass/fail line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
    projects: [
      project('contracts', ['contracts/src/**/*.test.ts']),
      project('state', ['state/test/**/*.test.ts']),
      project('store', ['store/src/**/*.test.ts', 'store/test/**/*.test.ts'], 60_000),
      project('broker', ['broker/src/**/*.test.ts']),
      project('ingest', ['ingest/src/**/*.test.ts']),
      project('alerts', ['alerts/test/**/*.test.ts']),
      project('api', ['api/src/**/*.test.ts']),
      project('devices', ['devices/src/**/*.test.ts']),
      project('simulator', ['simulator/test/**/*.test.ts'], 30_000),
      project('dashboard', ['dashboard/src/**/*.test.ts', 'dashboard/test/**/*.test.ts'], 90_000),
      project('e2e', ['test/**/*.test.ts', 'src/**/*.test.ts'], 90_000),
    ],
  },
});
