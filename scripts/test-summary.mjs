// Prints "N passed, N failed, N skipped" from vitest's JSON report (written when CI is set).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
} catch (err) {
  console.log(`vitest: no report at ${file} (${err.message})`);
  process.exitCode = 1;
}
