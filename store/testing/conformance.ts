import { afterEach, beforeEach, describe, it } from 'vitest';
import type { Store } from '../src/index.js';
import { deadLetterCases, alertLogCases, badInputCases, lifecycleCases } from './cases-records.js';
import { columnarCases } from './cases-columnar.js';
import { rollupCases } from './cases-rollups.js';
import { spoolRecordCases } from './cases-spool.js';
import { deadLetterCapCases } from './dead-letter-cap.js';
import { retentionCases, seriesCases } from './cases-series.js';
import { latestCases, writeCases } from './cases-write.js';
import type { CaseContext, Cases, StoreUnderTest } from './kit.js';

export type { StoreUnderTest } from './kit.js';

/** The groups of the suite, in the order they run. */
const groups: Array<[string, Cases]> = [
  ['write', writeCases],
  ['latest', latestCases],
  ['series', seriesCases],
  ['series in columns', columnarCases],
  ['retention', retentionCases],
  ['rollups', rollupCases],
  ['dead letters', { ...deadLetterCases, ...deadLetterCapCases }],
  ['spool records', spoolRecordCases],
  ['alert log', alertLogCases],
  ['bad input', badInputCases],
  ['lifecycle', lifecycleCases],
];

/**
 * The one conformance suite every store adapter runs (as aedes-persistence's abstract.js is run by each
 * persistence backend), from a test file of a few lines:
 *
 * ```ts
 * runStoreSuite('duckdb', async () => ({ store: createDuckDbStore({ path }), cleanup: () => rm(dir) }));
 * ```
 *
 * It uses only the Store interface, and asks nothing that InfluxDB cannot do: times are epoch ms, values
 * are doubles, buckets are aligned to the epoch, a re-written key merges per metric, `seq` is not read back.
 * Every number it checks was worked out by hand in the comments beside it. `only` runs some groups (by name). The cases live in `cases-*.ts`,
 * one object per group, each key the name of a test.
 */
export function runStoreSuite(name: string, makeStore: () => Promise<StoreUnderTest>, only?: readonly string[]): void {
  describe(`Store conformance: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: Store;
    const ctx: CaseContext = { get store() { return store; } };

    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
      await store.init();
    });
    afterEach(async () => {
      await store.close();
      await sut.cleanup();
    });

    for (const [group, cases] of groups) {
      if (only && !only.includes(group)) continue;
      describe(group, () => {
        for (const [title, run] of Object.entries(cases)) it(title, () => run(ctx));
      });
    }
  });
}
