import { expect } from 'vitest';

/** An answer in columns with its value arrays parsed (the store's result, or the API's body). */
export interface ParsedColumns { ts: readonly number[]; series: ReadonlyArray<{ asset: string; values: ReadonlyArray<number | null> }> }

/**
 * Checks that two stores' answers in columns agree: the same time axis, assets and empty buckets, and the
 * same rounded values, but for a value on a rounding boundary. The stores add a bucket's rows in different
 * orders, so a mean of exactly x.x5 may be a hair below it in one and a hair above in the other, and round
 * one unit of the last digit apart; that may happen to at most 1 % of the values (one value in an answer of
 * fewer than 100). Returns how many values were compared.
 */
export function expectColumnsAgree(a: ParsedColumns, b: ParsedColumns, digits: number, label: string): number {
  expect(b.ts, label).toEqual(a.ts);
  expect(b.series.map((s) => s.asset), label).toEqual(a.series.map((s) => s.asset));
  const unit = 10 ** -digits;
  let values = 0;
  let apart = 0;
  a.series.forEach((s, k) => {
    const other = b.series[k]!.values;
    expect(other.map((v) => v === null), `${label} ${s.asset}: empty buckets`).toEqual(s.values.map((v) => v === null));
    s.values.forEach((v, i) => {
      const w = other[i]!;
      if (v === null) return;
      values++;
      if (v === w) return;
      apart++;
      expect(Math.abs(v - w), `${label} ${s.asset} @${a.ts[i]}`).toBeCloseTo(unit, digits + 6);
    });
  });
  expect(apart, `${label}: values one unit apart`).toBeLessThanOrEqual(Math.max(1, values / 100));
  return values;
}
