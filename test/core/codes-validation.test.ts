// One validator for packed codes: every entry point (mAP, top-N / radius metrics, the index)
// answers the same mistake with the same error code, and accepts misaligned views by copying.
import { describe, expect, it } from 'vitest';
import { HammingIndex, evaluate } from '../../src/index.js';
import type { Codes } from '../../src/index.js';
import { thrown } from '../helpers/naive.js';
import { randomCodes, randomLabels, rng } from '../helpers/hamming-reference.js';

const bits = 40;
const rand = rng(9);
const database = randomCodes(60, bits, rand) as Codes;
const queries = randomCodes(7, bits, rand) as Codes;
const databaseLabels = { rows: 60, cols: 4, data: randomLabels(60, 4, rand, 0.4) };
const queryLabels = { rows: 7, cols: 4, data: randomLabels(7, 4, rand, 0.4) };

/** The same codes, viewed at a byte offset of 3 in a larger buffer. */
function misaligned(c: Codes): Codes {
  const buffer = new Uint8Array(c.data.length + 3);
  buffer.set(c.data, 3);
  return { ...c, data: buffer.subarray(3) };
}

const entryPoints: [string, (q: Codes) => unknown][] = [
  ['meanAveragePrecision', (q) => evaluate.meanAveragePrecision({ queries: q, database, queryLabels, databaseLabels })],
  ['precisionRecallAtN', (q) => evaluate.precisionRecallAtN({ queries: q, database, queryLabels, databaseLabels, ns: [5] })],
  ['precisionRecallByRadius', (q) => evaluate.precisionRecallByRadius({ queries: q, database, queryLabels, databaseLabels })],
  ['HammingIndex.search', (q) => {
    const index = new HammingIndex({ bits });
    index.add(database);
    return index.search(q, { k: 3 });
  }],
];

describe('packed-code validation', () => {
  it.each(entryPoints)('%s: the same error code for the same mistake', (_, call) => {
    const cases: [unknown, string][] = [
      [null, 'ERR_ASCMH_CODES'],
      [{ ...queries, count: -1 }, 'ERR_ASCMH_CODES'],
      [{ ...queries, bits: 0 }, 'ERR_ASCMH_BITS'],
      [{ ...queries, bits: 48 }, 'ERR_ASCMH_BITS_MISMATCH'],
      [{ ...queries, data: new Float64Array(7) }, 'ERR_ASCMH_DTYPE'],
      [{ ...queries, data: queries.data.subarray(0, 20) }, 'ERR_ASCMH_CODES_LENGTH'],
    ];
    for (const [input, code] of cases) expect(thrown(() => call(input as Codes)), code).toMatchObject({ code });
  });

  it.each(entryPoints)('%s: a misaligned view gives the result of the aligned codes', (_, call) => {
    expect(call(misaligned(queries))).toEqual(call(queries));
  });

  it('a misaligned database and index.add work too', () => {
    const input = { queries, queryLabels, databaseLabels };
    expect(evaluate.meanAveragePrecision({ ...input, database: misaligned(database) })).toBe(evaluate.meanAveragePrecision({ ...input, database }));
    const a = new HammingIndex({ bits });
    a.add(misaligned(database));
    const b = new HammingIndex({ bits });
    b.add(database);
    expect(a.search(queries, { k: 60 })).toEqual(b.search(queries, { k: 60 }));
  });
});
