// Property tests of the asymmetric search over random shapes: widths 8 to 1024 bits, duplicates,
// removed items, explicit ids, re-ranking depths, both sign thresholds, float32 and float64
// projections in every kind of buffer. Every answer equals the naive ranking (dyadic projections:
// exact ties), and garbage anywhere is a coded error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HammingIndex } from '../../src/index.js';
import { dyadicProjections, naiveRerank, rankAsymmetric } from '../helpers/asymmetric-reference.js';
import { codeAt, randomCodes, rng, type RefItem } from '../helpers/hamming-reference.js';
import { garbage, hold, holders, isCoded } from '../helpers/hostile.js';

const caseArb = fc.record({
  bits: fc.integer({ min: 8, max: 1024 }),
  count: fc.integer({ min: 0, max: 80 }),
  queries: fc.integer({ min: 0, max: 5 }),
  k: fc.oneof(fc.integer({ min: 1, max: 90 }), fc.constant(2 ** 53 - 1)),
  extra: fc.integer({ min: 0, max: 90 }),
  rerank: fc.boolean(),
  strict: fc.boolean(),
  pool: fc.constantFrom(0, 3, 10),
  removeEvery: fc.constantFrom(0, 2, 5),
  single: fc.boolean(),
  holder: fc.constantFrom(...holders.filter((h) => h !== 'getter')),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

describe('asymmetric search properties', () => {
  it('full scans and re-rankings equal the naive ones for any input the index accepts', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const rand = rng(c.seed);
      const codes = randomCodes(c.count, c.bits, rand, c.pool, false);  // garbage padding bits
      const index = new HammingIndex({ bits: c.bits });
      index.add(codes);
      let items: RefItem[] = Array.from({ length: c.count }, (_, i) => ({ id: BigInt(i), code: codeAt(codes, i) }));
      // The reference sees the code without its padding bits.
      const stride = Math.ceil(c.bits / 64) * 8;
      for (const it of items) for (let j = c.bits; j < stride * 8; j++) it.code[j >> 3] &= ~(1 << (j & 7));
      if (c.removeEvery > 0) {
        const gone = items.filter((_, i) => i % c.removeEvery === 0).map((it) => it.id);
        index.remove(gone);
        items = items.filter((_, i) => i % c.removeEvery !== 0);
      }
      const values = dyadicProjections(c.queries, c.bits, rand, c.strict);
      const data = hold(c.single ? Float32Array.from(values) : values, c.holder);
      const p = { rows: c.queries, cols: c.bits, data };
      const rerank = c.k === 2 ** 53 - 1 ? c.k : c.k + c.extra;
      const options = c.rerank ? { k: c.k, rerank, threshold: c.strict ? 'positive' as const : 'nonnegative' as const } : { k: c.k };
      const got = index.searchAsymmetric(p, options);
      expect(await index.searchAsymmetricAsync(p, options)).toEqual(got);
      const kk = Math.min(c.k, items.length);
      expect(got.k).toBe(kk);
      for (let q = 0; q < c.queries; q++) {
        const row = values.subarray(q * c.bits, (q + 1) * c.bits);
        const want = (c.rerank ? naiveRerank(row, items, c.bits, rerank, c.strict) : rankAsymmetric(row, items, c.bits)).slice(0, kk);
        expect(Array.from(got.ids.subarray(q * kk, (q + 1) * kk))).toEqual(want.map((w) => w.id));
        expect(Array.from(got.scores.subarray(q * kk, (q + 1) * kk))).toEqual(want.map((w) => w.score));
      }
    }), { numRuns: 150 });
  });

  it('garbage in any argument is a coded error', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 8, max: 1024 }), garbage, fc.nat(6), async (bits, bad, where) => {
      const index = new HammingIndex({ bits });
      index.add({ count: 2, bits, data: new Uint8Array(2 * Math.ceil(bits / 64) * 8) });
      const p = { rows: 1, cols: bits, data: new Float64Array(bits) };
      const calls = [
        () => index.searchAsymmetric(bad as never, { k: 1 }),
        () => index.searchAsymmetric(p, bad as never),
        () => index.searchAsymmetric(p, { k: bad } as never),
        () => index.searchAsymmetric(p, { k: 1, rerank: bad } as never),
        () => index.searchAsymmetric({ ...p, cols: bad } as never, { k: 1 }),
        () => index.searchAsymmetric({ ...p, data: bad } as never, { k: 1 }),
        () => index.searchAsymmetric(p, { k: 1, threshold: bad } as never),
      ];
      try {
        calls[where]();
      } catch (e) {
        expect(isCoded(e)).toBe(true);
      }
      // The index is unchanged and still answers.
      expect(index.searchAsymmetric(p, { k: 2 }).ids).toHaveLength(2);
    }), { numRuns: 200 });
  });
});
