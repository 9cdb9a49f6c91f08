import type { DeleteRange } from './deletes.js';
import { column, numAt, strAt, type Series } from './http.js';
import { ident, literal, timeRange } from './influxql.js';
import { runsOf } from './aggregate.js';

/**
 * Logs keyed by an id (dead letters, alert events) in InfluxDB, where a point's key is its series and
 * time. The id is never a tag (a series per entry would grow the index without bound); it picks the time
 * instead: an entry is written at its own time in ms plus a sub-millisecond slot derived from its id, so
 * that writing the same entry again lands on the same point and overwrites it, while entries of the same
 * millisecond get different times. Before writing, the slots already taken around those times are read,
 * so that two ids that hash to one slot do not overwrite each other: the newcomer moves to the next free
 * slot. An entry is thus found again by (time, id); the fields `id` and `slot` record both.
 */

type Run = (statements: string[]) => Promise<Series[][]>;

/** Sub-millisecond slots per ms: the nanoseconds of InfluxDB's time. */
const SLOTS = 1_000_000;

/** FNV-1a over the id's UTF-16 units: a stable slot for an id. */
function slotOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % SLOTS;
}

/** The point's time in ns. */
export const nsOf = (ms: number, slot: number): bigint => BigInt(ms) * BigInt(SLOTS) + BigInt(slot);

/** An entry to place: its id, its time in ms (also kept in the field `timeField`) and its tags. */
export interface LogEntry {
  id: string;
  ms: number;
  tags: Record<string, string | undefined>;
}

/** How to read one log measurement. */
export interface LogShape {
  measurement: string;
  /** The float field that keeps each entry's time in ms. */
  timeField: string;
  tagKeys: readonly string[];
}

interface Taken {
  id: string;
  tags: Record<string, string | undefined>;
}

/** The slots already taken in the milliseconds of the entries. */
async function takenSlots(shape: LogShape, entries: readonly LogEntry[], run: Run): Promise<Map<number, Map<number, Taken>>> {
  const cols = ['id', 'slot', shape.timeField, ...shape.tagKeys];
  const statements = runsOf(entries.map((e) => e.ms), 1, 60_000).map(([from, to]) =>
    `SELECT ${cols.map(ident).join(', ')} FROM ${ident(shape.measurement)} WHERE ${timeRange(from, to)}`);
  const taken = new Map<number, Map<number, Taken>>();
  for (const s of (await run(statements)).flat()) {
    const [ci, cs, ct] = [column(s, 'id'), column(s, 'slot'), column(s, shape.timeField)];
    const tagCols = shape.tagKeys.map((k) => [k, column(s, k)] as const);
    for (const row of s.values ?? []) {
      const [id, slot, ms] = [strAt(row, ci), numAt(row, cs), numAt(row, ct)];
      if (id === undefined || slot === undefined || ms === undefined) continue;
      let inMs = taken.get(ms);
      if (!inMs) taken.set(ms, (inMs = new Map<number, Taken>()));
      inMs.set(slot, { id, tags: Object.fromEntries(tagCols.map(([k, i]) => [k, strAt(row, i)])) });
    }
  }
  return taken;
}

/**
 * The time (ns) and slot of each entry, and the old points to delete first: those of an entry written
 * again with other tags, which would otherwise stay behind in their old series.
 */
export async function placeEntries(shape: LogShape, entries: readonly LogEntry[], run: Run): Promise<{ placed: Array<{ ns: bigint; slot: number }>; deletes: DeleteRange[] }> {
  const taken = await takenSlots(shape, entries, run);
  const deletes: DeleteRange[] = [];
  const placed = entries.map((e) => {
    let inMs = taken.get(e.ms);
    if (!inMs) taken.set(e.ms, (inMs = new Map<number, Taken>()));
    let slot = slotOf(e.id);
    // Linear probing: stop at this id's own slot, or at a free one.
    for (let seen = inMs.get(slot); seen && seen.id !== e.id; seen = inMs.get(slot)) slot = (slot + 1) % SLOTS;
    const ns = nsOf(e.ms, slot);
    const old = inMs.get(slot);
    if (old && shape.tagKeys.some((k) => old.tags[k] !== e.tags[k])) deletes.push({ measurement: shape.measurement, fromNs: ns, toNs: ns + 1n });
    inMs.set(slot, { id: e.id, tags: e.tags });
    return { ns, slot };
  });
  return { placed, deletes };
}

/**
 * The points of the entries with these ids, as delete ranges. The id is a field, so this reads the ids of
 * the whole log (logs are small next to readings, and deleting from them is an operator's act).
 */
export async function pointsOf(shape: LogShape, ids: readonly string[], run: Run): Promise<DeleteRange[]> {
  const unique = [...new Set(ids)];
  const statements: string[] = [];
  for (let i = 0; i < unique.length; i += 500) {
    const match = unique.slice(i, i + 500).map((id) => `"id" = ${literal(id)}`).join(' OR ');
    statements.push(`SELECT "slot", ${ident(shape.timeField)} FROM ${ident(shape.measurement)} WHERE ${match}`);
  }
  const found = new Map<bigint, DeleteRange>();
  for (const s of (await run(statements)).flat()) {
    const [cs, ct] = [column(s, 'slot'), column(s, shape.timeField)];
    for (const row of s.values ?? []) {
      const [slot, ms] = [numAt(row, cs), numAt(row, ct)];
      if (slot === undefined || ms === undefined) continue;
      const ns = nsOf(ms, slot);
      found.set(ns, { measurement: shape.measurement, fromNs: ns, toNs: ns + 1n });
    }
  }
  return [...found.values()];
}
