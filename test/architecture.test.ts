// The house rules (scripts/architecture.mjs) fail on deliberate violations in a small repo made here, and pass the
// same repo once it is put right. `npm test` runs them over the real repo (scripts/check-architecture.mjs).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRepo as check, findCycles, layerViolation } from '../scripts/architecture.mjs';

let root: string;
function put(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
function workspace(dir: string): void {
  put(`${dir}/package.json`, JSON.stringify({ name: `@cityhub/${dir}`, exports: { '.': { source: './src/index.ts' } } }));
}
const files = (): string[] => ['contracts/src/index.ts', 'store/src/index.ts', 'api/src/index.ts', 'api/src/a.ts', 'api/src/b.ts'];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cityhub-arch-'));
  put('package.json', '{}');
  symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules'));
  for (const ws of ['contracts', 'store', 'api']) workspace(ws);
  put('contracts/src/index.ts', 'export const kinds = 1;\n');
  put('store/src/index.ts', "import { kinds } from '@cityhub/contracts';\nexport const store = kinds;\n");
  put('api/src/index.ts', "import { store } from '@cityhub/store';\nexport { a } from './a.js';\nexport const api = store;\n");
  put('api/src/a.ts', "import { b } from './b.js';\nexport const a = b;\n");
  put('api/src/b.ts', 'export const b = 2;\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('architecture rules', () => {
  it('pass a repo that keeps them', () => {
    expect(check(root, files(), ['contracts', 'store', 'api'])).toEqual([]);
  });

  it('fail an upward import, and a relative path into another workspace', () => {
    put('store/src/index.ts', "import { api } from '@cityhub/api';\nexport const store = api;\n");
    put('contracts/src/index.ts', "import { b } from '../../api/src/b.js';\nexport const kinds = b;\n");
    const problems = check(root, files(), ['contracts', 'store', 'api']);
    expect(problems).toContainEqual(expect.stringMatching(/store\/src\/index\.ts:1 imports @cityhub\/api: store\/ may import only contracts, not api\//));
    expect(problems).toContainEqual(expect.stringMatching(/contracts\/src\/index\.ts:1 reaches into api\/ by a relative path/));
  });

  it('fail an import cycle, type-only imports included', () => {
    put('api/src/b.ts', "import type { a } from './a.js';\nexport const b = 2 as typeof a;\n");
    expect(check(root, files(), ['contracts', 'store', 'api'])).toEqual(['cycle: api/src/a.ts -> api/src/b.ts (these files import each other, directly or through others)']);
  });

  it('fail a file over 400 lines and a function over 80, but not a describe block', () => {
    put('api/src/b.ts', `export function b() {\n${'  void 0;\n'.repeat(80)}}\n${'// filler\n'.repeat(330)}`);
    put('api/src/a.test.ts', `describe('x', () => {\n${'  it("y", () => {});\n'.repeat(90)}});\n`);
    const problems = check(root, [...files(), 'api/src/a.test.ts'], ['contracts', 'store', 'api']);
    expect(problems).toEqual(['size: api/src/b.ts has 412 lines (at most 400)', 'size: api/src/b.ts:1 b has 82 lines (at most 80)']);
  });

  it('place every workspace on purpose, and let tests use workspaces of their rank or lower only', () => {
    workspace('gadgets');
    expect(check(root, files(), ['contracts', 'store', 'api', 'gadgets'])).toEqual(['layers: gadgets/ is a workspace but not in the layer table (scripts/architecture.mjs LAYERS)']);
    expect(layerViolation('api/src/x.test.ts', 'api', 'ingest')).toBeNull();
    expect(layerViolation('api/src/x.ts', 'api', 'ingest')).toMatch(/api\/ may import only contracts, store/);
    expect(layerViolation('store/test/x.test.ts', 'store', 'api')).toMatch(/not api\//);
    expect(layerViolation('api/testing/harness.ts', 'api', 'root')).toMatch(/not root\//);
  });

  it('find every cycle of a graph', () => {
    const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['d'])], ['e', new Set(['a'])]]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });
});
