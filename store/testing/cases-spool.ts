import { expect } from 'vitest';
import { encodeRecord, writeRecords, type RecordsWritten, type Store } from '../src/index.js';
import { T0, pt, raw, type Cases } from './kit.js';

/** A round as the spool writer hands it over: the store's own `writeRecords` where it has one, the shared one otherwise. */
const round = (store: Store, records: Uint8Array[], batchPoints: number): Promise<RecordsWritten> =>
  store.writeRecords ? store.writeRecords(records, batchPoints) : writeRecords(store, records, batchPoints);

/** Rounds of spool records (record.ts): what the spool writer gives a store. */
export const spoolRecordCases: Cases = {
  'writes a round of records: points a batch at a time, then dead letters; a record that does not decode is skipped and told': async ({ store }) => {
    const letter = { received: T0, device: 'd1', topic: 'city/traffic/d1/telemetry', reason: 'schema' as const, message: 'flow: expected number', payload: '{"flow":"x"}' };
    const records = [
      encodeRecord({ points: [pt('a', 'd1', T0, { flow: 1 }), pt('a', 'd1', T0 + 1_000, { flow: 2 })], dead: [] }),
      Buffer.from('{"p":[["traffic","a"'),
      encodeRecord({ points: [pt('a', 'd1', T0 + 2_000, { flow: 3 })], dead: [letter] }),
      new Uint8Array(0),
    ];
    const done = await round(store, records, 2);
    expect(done).toMatchObject({ points: 3, deadLetters: 1, transactions: 2, bad: [{ index: 1 }] });
    expect(done.bad[0]!.error).toMatch(/JSON/);
    expect(await raw(store, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1], [T0 + 1_000, 2], [T0 + 2_000, 3]]);
    expect((await store.listDeadLetters({})).map((d) => d.message)).toEqual(['flow: expected number']);
    // The same round again (a retry after a failure, a replay after a crash) stores nothing twice.
    await round(store, records, 2);
    expect(await raw(store, 'a', 'flow', T0, T0 + 60_000)).toHaveLength(3);
  },
};
