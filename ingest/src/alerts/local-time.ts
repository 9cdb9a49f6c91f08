/** Local time in Thessaloniki (Europe/Athens), cached per UTC hour: the offset changes only on the hour. */
const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Athens', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
const cache = new Map<number, { day: string; hour: number }>();

/** The local calendar day (YYYY-MM-DD) and hour (0–23) of `ts`. */
export function athens(ts: number): { day: string; hour: number } {
  const h = Math.floor(ts / 3_600_000);
  let v = cache.get(h);
  if (!v) {
    const p = Object.fromEntries(fmt.formatToParts(new Date(h * 3_600_000)).map((x) => [x.type, x.value]));
    v = { day: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour) };
    if (cache.size > 10_000) cache.clear();
    cache.set(h, v);
  }
  return v;
}
