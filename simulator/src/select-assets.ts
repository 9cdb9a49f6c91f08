import { KINDS, type AssetFeature, type Kind } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';

/**
 * The catalogue assets the simulator gives a device: all of them by default; for a smaller `count`, the
 * first assets of each kind, with the count shared among the kinds in proportion to their sizes (largest
 * remainder), and at least one of each kind when the count allows. A count above the catalogue is capped
 * (`capped` says so). With `synthetic` assets the catalogue holds that many more (real ones come first).
 */
export function selectAssets(count?: number, synthetic = 0): { assets: AssetFeature[]; capped: boolean; available: number } {
  const byKind = new Map<Kind, AssetFeature[]>(KINDS.map((k) => [k, assetsOfKind(k, { synthetic })]));
  const available = [...byKind.values()].reduce((n, a) => n + a.length, 0);
  const wanted = count === undefined ? available : Math.max(0, Math.floor(count));
  if (wanted >= available) return { assets: [...byKind.values()].flat(), capped: wanted > available, available };

  const quota = new Map<Kind, number>();
  const remainders: { kind: Kind; r: number }[] = [];
  for (const [kind, list] of byKind) {
    const exact = (wanted * list.length) / available;
    quota.set(kind, Math.floor(exact));
    remainders.push({ kind, r: exact - Math.floor(exact) });
  }
  let left = wanted - [...quota.values()].reduce((a, b) => a + b, 0);
  for (const { kind } of remainders.sort((a, b) => b.r - a.r)) {
    if (left-- <= 0) break;
    quota.set(kind, quota.get(kind)! + 1);
  }
  if (wanted >= KINDS.length) {
    for (const kind of KINDS) {
      if (quota.get(kind)! > 0 || byKind.get(kind)!.length === 0) continue;
      const donor = [...quota.entries()].sort((a, b) => b[1] - a[1])[0]!;
      quota.set(donor[0], donor[1] - 1);
      quota.set(kind, 1);
    }
  }
  return { assets: KINDS.flatMap((k) => byKind.get(k)!.slice(0, quota.get(k))), capped: false, available };
}
