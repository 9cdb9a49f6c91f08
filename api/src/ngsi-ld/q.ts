import { badRequest, NgsiProblem } from './problem.js';

/** A condition of `q` (ETSI GS CIM 009 clause 4.9): an attribute, an operator and a value, or existence. */
type Value = number | string | boolean;
interface Condition { attr: string; op?: '==' | '!=' | '>' | '>=' | '<' | '<=' | '~='; values?: Value[]; range?: [Value, Value]; regex?: RegExp }
/** Conditions joined by `;` (and), groups joined by `|` (or). */
export type QFilter = Condition[][];

/** Splits on a separator outside double quotes. */
function splitOutside(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw badRequest('q has an unclosed quote');
  out.push(cur);
  return out;
}

function parseValue(text: string): Value {
  if (/^".*"$/s.test(text)) return text.slice(1, -1);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  // Unquoted DateTimes are values too (observedAt>2026-01-01T00:00:00Z).
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+Z?$/.test(text)) return text;
  throw badRequest(`q: ${text} is not a number, a "quoted string", true, false or a date-time`);
}

function parseCondition(text: string): Condition {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(==|!=|>=|<=|>|<|~=)?(.*)$/s.exec(text.trim());
  if (!m) throw badRequest(`q: cannot read the condition ${text}`);
  const [, attr, op, rest] = m as unknown as [string, string, Condition['op'] | undefined, string];
  if (!op) {
    if (rest !== '') throw badRequest(`q: cannot read the condition ${text}`);
    return { attr };
  }
  if (op === '~=') {
    const pattern = /^".*"$/s.test(rest) ? rest.slice(1, -1) : rest;
    try {
      return { attr, op, regex: new RegExp(pattern) };
    } catch {
      throw badRequest(`q: ${pattern} is not a valid pattern`);
    }
  }
  const range = /^([^"]+)\.\.([^"]+)$/.exec(rest);
  if (range && (op === '==' || op === '!=')) return { attr, op, range: [parseValue(range[1]!), parseValue(range[2]!)] };
  const values = splitOutside(rest, ',').map(parseValue);
  if (values.length > 1 && op !== '==' && op !== '!=') throw badRequest(`q: a list of values goes with == or != only`);
  return { attr, op, values };
}

/** Parses `q`: `;` is and, `|` is or; parentheses and attribute paths are not implemented. */
export function parseQ(q: string | undefined): QFilter | undefined {
  if (q === undefined) return undefined;
  if (q.trim() === '') throw badRequest('q is empty');
  if (/[()]/.test(q.replace(/"[^"]*"/g, ''))) throw new NgsiProblem('OperationNotSupported', 'q: parentheses are not implemented; use ; (and) and | (or)');
  if (/[[\].]/.test(q.replace(/"[^"]*"/g, '').replace(/\d\.\d|\.\./g, ''))) {
    throw new NgsiProblem('OperationNotSupported', 'q: attribute paths (a.b, a[b]) are not implemented');
  }
  return splitOutside(q, '|').map((group) => splitOutside(group, ';').map(parseCondition));
}

const compare = (a: Value, b: Value): number | null =>
  typeof a !== typeof b || typeof a === 'boolean' ? null : a < b ? -1 : a > b ? 1 : 0;

function matchOne(v: unknown, c: Condition): boolean {
  if (c.regex) return typeof v === 'string' && c.regex.test(v);
  if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return false;
  if (c.range) {
    const lo = compare(v, c.range[0]);
    const hi = compare(v, c.range[1]);
    const inside = lo !== null && hi !== null && lo >= 0 && hi <= 0;
    return c.op === '==' ? inside : !inside;
  }
  const values = c.values!;
  if (c.op === '==') return values.some((x) => compare(v, x) === 0 || (typeof v === 'boolean' && v === x));
  if (c.op === '!=') return values.every((x) => v !== x);
  const r = compare(v, values[0]!);
  if (r === null) return false;
  return c.op === '>' ? r > 0 : c.op === '>=' ? r >= 0 : c.op === '<' ? r < 0 : r <= 0;
}

/** Whether an entity's plain attribute values match `q`; a list value matches when one of its items does. */
export function matchesQ(values: (attr: string) => unknown, q: QFilter): boolean {
  return q.some((group) => group.every((c) => {
    const v = values(c.attr);
    if (v === undefined) return false;
    if (!c.op) return true;
    return Array.isArray(v) ? v.some((x) => matchOne(x, c)) : matchOne(v, c);
  }));
}
