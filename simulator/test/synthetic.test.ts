import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetCollection } from '@cityhub/contracts';
import { findAsset, loadCatalogue, syntheticAssetId, syntheticIndex } from '@cityhub/contracts/catalogue';
import { describe, expect, it } from 'vitest';
import { isDeviceError, openRegistry } from '@cityhub/devices';
import { selectAssets } from '../src/select-assets.js';

const REAL = 212;

describe('synthetic assets', () => {
  const cat = loadCatalogue({ synthetic: 1_000 });
  const synthetic = cat.features.slice(REAL);

  it('leave the default catalogue as it is', () => {
    const plain = loadCatalogue();
    expect(plain.features).toHaveLength(REAL);
    expect(plain.features.some((f) => f.id.startsWith('syn-') || 'synthetic' in f.properties)).toBe(false);
    expect(cat.features.slice(0, REAL)).toEqual(plain.features);
    expect(findAsset('syn-1-link-1')).toBeUndefined();
  });

  it('have stable, unique ids that do not depend on how many are made', () => {
    expect(synthetic).toHaveLength(1_000);
    const ids = cat.features.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(synthetic[0]!.id).toBe('syn-1-link-1');
    expect(synthetic[REAL]!.id).toBe('syn-2-link-1');
    const fewer = loadCatalogue({ synthetic: 10 }).features.slice(REAL);
    expect(fewer.map((f) => f.id)).toEqual(synthetic.slice(0, 10).map((f) => f.id));
    synthetic.forEach((f, k) => {
      expect(f.id).toMatch(/^syn-[1-9][0-9]*-/);
      expect(syntheticAssetId(k)).toBe(f.id);
      expect(syntheticIndex(f.id)).toBe(k);
    });
    expect(syntheticIndex('syn-1-no-such-asset')).toBeNull();
    expect(syntheticIndex('link-1')).toBeNull();
  });

  it('copy a real asset of their kind: same geometry, own id and name, flagged synthetic', () => {
    const real = new Map(cat.features.slice(0, REAL).map((f) => [f.id, f]));
    for (const f of synthetic) {
      const templateId = /^syn-\d+-(.+)$/.exec(f.id)![1]!;
      const t = real.get(templateId)!;
      expect(t).toBeDefined();
      expect(f.geometry).toEqual(t.geometry);
      expect(f.properties.kind).toBe(t.properties.kind);
      expect(f.properties).toMatchObject({ id: f.id, synthetic: true });
      expect(f.properties.name).toMatch(/\(synthetic \d+\)$/);
      if (f.properties.kind !== 'traffic') expect(f.properties.simulated_fields).toContain('existence');
    }
    expect(() => AssetCollection.parse(cat)).not.toThrow();
  });

  it('share the kinds as the real catalogue does, and are found only when the count covers them', () => {
    const kinds = (fs: typeof synthetic) => fs.reduce<Record<string, number>>((a, f) => ({ ...a, [f.properties.kind]: (a[f.properties.kind] ?? 0) + 1 }), {});
    expect(kinds(synthetic.slice(0, 106))).toEqual({ traffic: 89, wifi: 10, energy: 7 });
    expect(findAsset(synthetic[999]!.id, { synthetic: 1_000 })).toEqual(synthetic[999]);
    expect(findAsset(synthetic[999]!.id, { synthetic: 999 })).toBeUndefined();
    expect(() => loadCatalogue({ synthetic: -1 })).toThrow(RangeError);
    expect(() => loadCatalogue({ synthetic: 1.5 })).toThrow(RangeError);
  });

  it('give the simulator more devices than real assets, real ones first', () => {
    const { assets, capped, available } = selectAssets(2_000, 5_000);
    expect(available).toBe(REAL + 5_000);
    expect(capped).toBe(false);
    expect(assets).toHaveLength(2_000);
    expect(assets.filter((a) => !a.id.startsWith('syn-'))).toHaveLength(REAL);
    expect(selectAssets(REAL + 10, 5).capped).toBe(true);
  });

  it('are accepted by a registry that holds them, refused with a hint by one that does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-syn-'));
    try {
      const plain = await openRegistry(dir);
      const err = await plain.add({ kind: 'traffic', asset: 'syn-1-link-1' }).catch((e: unknown) => e);
      expect(isDeviceError(err, 'UNKNOWN_ASSET')).toBe(true);
      expect((err as Error).message).toMatch(/CITYHUB_SYNTHETIC_ASSETS/);
      await plain.close();
      const reg = await openRegistry(dir, { syntheticAssets: 10, hashParams: { N: 1024, r: 8, p: 1 } });
      const d = await reg.add({ kind: 'traffic', asset: 'syn-1-link-1' });
      expect(reg.get(d.id)?.asset).toBe('syn-1-link-1');
      // A registry in a file hashes with its key (the scrypt cost is for a registry without one).
      expect(reg.get(d.id)?.secret_hash).toMatch(/^hmac-sha256\$/);
      // Any process on the data directory verifies it.
      const other = await openRegistry(dir);
      expect(await other.verify(d.id, d.secret)).toBe(true);
      expect(await other.verify(d.id, 'wrong')).toBe(false);
      await other.close();
      const wrongKind = await reg.add({ kind: 'wifi', asset: 'syn-1-link-1' }).catch((e: unknown) => e);
      expect(isDeviceError(wrongKind, 'WRONG_KIND')).toBe(true);
      await reg.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
