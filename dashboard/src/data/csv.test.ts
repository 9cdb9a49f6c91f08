import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('toCsv', () => {
  it('quotes what needs quoting and leaves numbers bare', () => {
    expect(toCsv(['name', 'kwh'], [['Rotunda', 1200.5], ['Say "hi", then', null], ['=SUM(A1)', Number.NaN]]))
      .toBe('name,kwh\r\nRotunda,1200.5\r\n"Say ""hi"", then",\r\n\'=SUM(A1),\r\n');
  });
});
