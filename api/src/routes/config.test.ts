import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PageConfig } from '@cityhub/contracts';
import { createDuckDbStore } from '@cityhub/store';
import { buildApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

const base = (): ApiDeps => ({ store: createDuckDbStore({ path: ':memory:' }), catalogue: { type: 'FeatureCollection', features: [], attribution: '' }, boundary: {}, live: new EventEmitter() });

describe('GET /api/v1/config', () => {
  it('answers the page configuration: defaults, then what the hub was given', async () => {
    const plain = await buildApp(base());
    const set = await buildApp({ ...base(), basemapStyle: 'https://tiles.example.org/style.json', retentionDays: 7, timeZone: 'Asia/Kathmandu' });
    try {
      const a: unknown = (await plain.inject({ url: '/api/v1/config' })).json();
      expect(a).toEqual({ basemapStyle: null, retentionDays: 30, tz: 'Europe/Athens' });
      const b: unknown = (await set.inject({ url: '/api/v1/config' })).json();
      expect(b).toEqual({ basemapStyle: 'https://tiles.example.org/style.json', retentionDays: 7, tz: 'Asia/Kathmandu' });
      expect(PageConfig.safeParse(b).success).toBe(true);
    } finally {
      await plain.close();
      await set.close();
    }
  });
});
