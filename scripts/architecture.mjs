// The house rules, checked on every `npm test` (scripts/check-architecture.mjs) and tested on deliberate violations
// (test/architecture.test.ts):
// - imports run one way: a workspace imports only the workspaces LAYERS allows (contracts at the bottom, the `cityhub`
//   composition root on top); test code may also import any workspace of a lower or equal rank, never the root;
// - no import cycle between source files, type-only imports included;
// - no file over MAX_FILE_LINES lines and no function over MAX_FUNCTION_LINES (a test's `describe` callback groups
//   tests and is exempt; its `it` bodies are not).
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;

/**
 * What each workspace may import, by folder. `rank` orders them for test code; `root` is the composition root.
 * A workspace missing from this table is an error, so a new one is placed on purpose.
 */
export const LAYERS = {
  contracts: { rank: 0, imports: [] },
  state: { rank: 1, imports: ['contracts'] },
  store: { rank: 1, imports: ['contracts'] },
  broker: { rank: 1, imports: ['contracts'] },
  devices: { rank: 2, imports: ['contracts', 'state'] },
  ingest: { rank: 2, imports: ['contracts', 'store'] },
  alerts: { rank: 2, imports: ['contracts', 'store', 'state'] },
  simulator: { rank: 3, imports: ['contracts', 'state', 'devices'] },
  api: { rank: 3, imports: ['contracts', 'store'] },
  dashboard: { rank: 3, imports: ['contracts'] },
  root: { rank: 9, imports: ['*'] },
};

const PKG_PREFIX = '@cityhub/';

/** The workspace a repo-relative path belongs to: its first folder when that is a workspace, else the root. */
export function workspaceOf(path, workspaces) {
  const first = path.split('/')[0];
  return workspaces.includes(first) ? first : 'root';
}

/** Test code: test files, and anything under a `test/`, `testing/` or `bench/` folder. */
export function isTestPath(path) {
  return /\.test\.ts$|(^|\/)(test|testing|bench)\//.test(path) || /\.fixture\.ts$/.test(path);
}

/** Why importing workspace `to` from `path` (in workspace `from`) breaks the layers, or null when it does not. */
export function layerViolation(path, from, to, layers = LAYERS) {
  if (from === to) return null;
  const own = layers[from];
  const target = layers[to];
  if (!own) return `${from}/ is not in the layer table (scripts/architecture.mjs LAYERS)`;
  if (!target) return `${to}/ is not in the layer table (scripts/architecture.mjs LAYERS)`;
  if (own.imports.includes('*') || own.imports.includes(to)) return null;
  if (isTestPath(path) && to !== 'root' && target.rank <= own.rank) return null;
  return `${from}/ may import only ${own.imports.join(', ') || 'nothing'}${isTestPath(path) ? ' (and, in tests, workspaces of its rank or lower)' : ''}, not ${to}/`;
}

/** Every import, export-from and dynamic import specifier of a source file, with whether it is type-only. */
export function importsOf(ts, path, text) {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (n) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ spec: n.moduleSpecifier.text, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push({ spec: n.arguments[0].text, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ spec: n.argument.literal.text, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { sf, imports: out };
}

/** Functions longer than the limit in one parsed file, `describe` callbacks exempt. */
export function longFunctions(ts, sf, max = MAX_FUNCTION_LINES) {
  const out = [];
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const p = n.parent;
      const grouping = p && ts.isCallExpression(p) && /^describe\b/.test(p.expression.getText(sf));
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(n.end).line;
      const name = n.name?.getText(sf) ?? (p && ts.isVariableDeclaration(p) ? p.name.getText(sf) : '(anonymous)');
      if (!grouping && end - start + 1 > max) out.push({ line: start + 1, lines: end - start + 1, name });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
export function findCycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? new Set()).has(v)) cycles.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return cycles;
}

/** The file a relative specifier names: `./x.js` is `x.ts`, a folder its `index.ts`. */
function resolveRelative(fromAbs, spec) {
  const base = resolve(dirname(fromAbs), spec);
  const candidates = [base, base.replace(/\.(m?js)$/, '.ts'), base.replace(/\.(m?js)$/, '.tsx'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** The source file a package specifier names, through its `source` export condition. */
function resolvePackage(rootDir, spec, packages) {
  const name = spec.split('/').slice(0, 2).join('/');
  const pkg = packages.get(name);
  if (!pkg) return null;
  const sub = `.${spec.slice(name.length)}`;
  const entry = pkg.json.exports?.[sub === '.' ? '.' : sub];
  const target = typeof entry === 'string' ? entry : entry?.source ?? entry?.default;
  return target ? join(rootDir, pkg.dir, target) : null;
}

/**
 * Checks a repo: `files` are repo-relative paths of its TypeScript and JavaScript sources; `workspaces` the folders
 * of its npm workspaces. Returns the problems found, each a line for people.
 */
export function checkRepo(rootDir, files, workspaces, layers = LAYERS) {
  const require = createRequire(join(rootDir, 'package.json'));
  const ts = require('typescript');
  const packages = new Map();
  for (const dir of workspaces) {
    const json = JSON.parse(readFileSync(join(rootDir, dir, 'package.json'), 'utf8'));
    packages.set(json.name, { dir, json });
  }
  const problems = [];
  const graph = new Map();
  for (const ws of workspaces) if (!layers[ws]) problems.push(`layers: ${ws}/ is a workspace but not in the layer table (scripts/architecture.mjs LAYERS)`);
  for (const path of files) {
    const abs = join(rootDir, path);
    const text = readFileSync(abs, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE_LINES) problems.push(`size: ${path} has ${lines} lines (at most ${MAX_FILE_LINES})`);
    const { sf, imports } = importsOf(ts, path, text);
    for (const f of longFunctions(ts, sf)) problems.push(`size: ${path}:${f.line} ${f.name} has ${f.lines} lines (at most ${MAX_FUNCTION_LINES})`);
    const from = workspaceOf(path, workspaces);
    const edges = new Set();
    for (const { spec, line } of imports) {
      let target = null;
      if (spec.startsWith('.')) {
        target = resolveRelative(abs, spec);
        if (target) {
          const to = workspaceOf(relative(rootDir, target).split(sep).join('/'), workspaces);
          const rel = relative(rootDir, target).split(sep).join('/');
          // Test code may share test helpers across folders (the built hub's harness in test/); nothing else crosses.
          const shared = isTestPath(path) && isTestPath(rel);
          if (to !== from && !shared) problems.push(`layers: ${path}:${line} reaches into ${to === 'root' ? 'the composition root' : `${to}/`} by a relative path${to === 'root' ? '' : `: import it as ${PKG_PREFIX}${to}`}`);
        }
      } else if (spec.startsWith(PKG_PREFIX)) {
        const to = packages.get(spec.split('/').slice(0, 2).join('/'))?.dir;
        if (!to) { problems.push(`layers: ${path}:${line} imports unknown workspace ${spec}`); continue; }
        const why = layerViolation(path, from, to, layers);
        if (why) problems.push(`layers: ${path}:${line} imports ${spec}: ${why}`);
        target = resolvePackage(rootDir, spec, packages);
      }
      if (target) edges.add(relative(rootDir, target).split(sep).join('/'));
    }
    graph.set(path, edges);
  }
  for (const cycle of findCycles(graph)) problems.push(`cycle: ${cycle.join(' -> ')} (these files import each other, directly or through others)`);
  return problems;
}
