import { defineConfig } from 'vite';

// `source` first: Vite bundles the contracts' TypeScript directly, so the dashboard never waits for (or
// drifts from) the contracts' own build.
export default defineConfig({
  base: '/',
  resolve: { conditions: ['source', 'module', 'browser', 'import', 'default'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // maplibre-gl alone is ~1.1 MB minified; the warning would only repeat that.
    chunkSizeWarningLimit: 2_000,
  },
});
