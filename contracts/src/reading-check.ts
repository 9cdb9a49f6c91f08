import type { z } from 'zod';

/** A reading that passed its checks: time in epoch ms, the metrics it carried in `metrics` order. */
export interface CheckedReading { ts: number; seq: number; values: Record<string, number> }

/** One numeric field of a reading schema, read off its zod definition. */
interface NumberField { name: string; required: boolean; safeInt: boolean; min: number; max: number }

/** The bounds of a numeric `ts` (epoch milliseconds): the first option of the timestamp union. */
export interface TsBounds { min: number; max: number }

/**
 * A reading schema (a zod strict object of `ts`, `seq` and metrics) compiled into plain checks, for the
 * acknowledgement path: zod's parse builds a context, issue lists and a new object for every reading, which in a
 * flood is most of what validation allocates. The checks return a reading only where zod would accept the same
 * value and give the same data (a plain object, no unknown key, every number finite, within its bounds, an
 * integer where the schema says so, `ts` a number within `ts`); anything else, a `ts` as ISO 8601 text included,
 * returns undefined, and the caller asks zod, which alone words rejections. The bounds are read off the schema,
 * so that it stays the one definition; a check this does not know of makes it throw rather than pass more than
 * zod would. `reading-check.test.ts` holds the two to the same verdicts.
 */
export function compileReadingCheck(schema: z.ZodObject, metrics: readonly string[], ts: TsBounds):
  (raw: unknown) => CheckedReading | undefined {
  const shape = schema.shape as Record<string, z.ZodType>;
  if ((schema.def.catchall as z.ZodType | undefined)?.def.type !== 'never') throw new Error('compileReadingCheck: only strict objects');
  const known = new Set(Object.keys(shape));
  const seq = numberField('seq', shape.seq);
  const fields = metrics.map((m) => numberField(m, shape[m]));
  if (!shape.ts || known.size !== fields.length + 2) throw new Error('compileReadingCheck: a schema of ts, seq and the metrics given');
  return (raw) => {
    if (raw === null || typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return undefined;
    const o = raw as Record<string, unknown>;
    for (const k in o) if (!known.has(k)) return undefined;
    const t = o.ts;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < ts.min || t > ts.max) return undefined;
    const s = o.seq;
    if (!passes(seq, s)) return undefined;
    const values: Record<string, number> = {};
    for (const f of fields) {
      const v = o[f.name];
      if (v === undefined) {
        if (f.required) return undefined;
      } else if (passes(f, v)) values[f.name] = v;
      else return undefined;
    }
    return { ts: t, seq: s, values };
  };
}

function passes(f: NumberField, v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && (!f.safeInt || Number.isSafeInteger(v)) && v >= f.min && v <= f.max;
}

/** A `z.number()` field, optional or not, with inclusive bounds and perhaps `.int()`: anything else throws. */
function numberField(name: string, field: z.ZodType | undefined): NumberField {
  if (!field) throw new Error(`compileReadingCheck: no field ${name}`);
  const required = field.def.type !== 'optional';
  const inner = (required ? field : (field as z.ZodOptional).unwrap()) as z.ZodType;
  if (inner.def.type !== 'number') throw new Error(`compileReadingCheck: ${name} is not a number`);
  const f: NumberField = { name, required, safeInt: false, min: -Infinity, max: Infinity };
  for (const c of (inner.def as { checks?: Array<{ _zod: { def: Record<string, unknown> } }> }).checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'number_format' && d.format === 'safeint') f.safeInt = true;
    else if (d.check === 'greater_than' && d.inclusive === true && typeof d.value === 'number') f.min = Math.max(f.min, d.value);
    else if (d.check === 'less_than' && d.inclusive === true && typeof d.value === 'number') f.max = Math.min(f.max, d.value);
    else throw new Error(`compileReadingCheck: ${name} has a check this does not know (${String(d.check)})`);
  }
  return f;
}
