// Property tests of mAP and the precision / recall curves over random shapes, widths 1 to 1024
// bits, garbage padding, buffers of every kind and getters: each equals a naive reference on the
// cleaned codes, the async forms equal the sync ones, and refusals are coded (issue 10).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { hamming } from '../helpers/hamming-reference.js';
import { garbage, hold, holders, isCoded, withGetter } from '../helpers/hostile.js';
import { naiveMap } from '../helpers/naive.js';

const stride = (bits: number) => Math.ceil(bits / 64) * 8;

const caseArb = fc.record({
  bits: fc.integer({ min: 1, max: 1024 }),
  nq: fc.integer({ min: 1, max: 8 }),  // no queries is ERR_ASCMH_EMPTY (labels without rows)
  nd: fc.integer({ min: 1, max: 40 }),
  classes: fc.integer({ min: 1, max: 70 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  holder: fc.constantFrom(...holders),
  top: fc.nat(45),
  skip: fc.boolean(),
});

function random(seed: number) {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function clean(data: Uint8Array, bits: number): Uint8Array {
  const out = data.slice(), w = stride(bits);
  for (let i = 0; i < data.length / w; i++) for (let j = bits; j < w * 8; j++) out[i * w + (j >> 3)] &= ~(1 << (j & 7));
  return out;
}

describe('retrieval metrics properties', () => {
  it('equal the naive references for every holder of every argument', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const rand = random(c.seed);
      const bytesOf = (n: number) => Uint8Array.from({ length: n * stride(c.bits) }, () => Math.floor(rand() * 256));
      const q = bytesOf(c.nq), d = bytesOf(c.nd);
      const ql = Uint8Array.from({ length: c.nq * c.classes }, () => (rand() < 0.15 ? 1 : 0));
      const dl = Uint8Array.from({ length: c.nd * c.classes }, () => (rand() < 0.15 ? 1 : 0));
      const viaHolder = <T extends Uint8Array>(a: T) => hold(a, c.holder === 'getter' ? 'plain' : c.holder);
      let input = {
        queries: { count: c.nq, bits: c.bits, data: viaHolder(q) },
        database: { count: c.nd, bits: c.bits, data: viaHolder(d) },
        queryLabels: { rows: c.nq, cols: c.classes, data: viaHolder(ql) },
        databaseLabels: { rows: c.nd, cols: c.classes, data: viaHolder(dl) },
        top: c.top,
        skipWithoutRelevant: c.skip,
      };
      if (c.holder === 'getter') input = { ...input, queries: withGetter(input.queries, 'data'), databaseLabels: withGetter(input.databaseLabels, 'data') };
      const want = naiveMap(clean(q, c.bits), clean(d, c.bits), c.bits, c.nq, c.nd, ql, dl, c.classes, c.top, c.skip);
      const got = evaluate.averagePrecision(input);
      expect(got.map).toBeCloseTo(want.map, 10);
      expect(Array.from(got.averagePrecision).map((x) => (Number.isNaN(x) ? 'NaN' : x.toFixed(10)))).toEqual(want.ap.map((x) => (Number.isNaN(x) ? 'NaN' : x.toFixed(10))));
      expect((await evaluate.averagePrecisionAsync(input)).map).toBe(got.map);

      // Precision of the top N and recall within radius r, from the same naive distances.
      const ns = [1, Math.max(1, c.top), c.nd + 3];
      const topN = evaluate.precisionRecallAtN({ ...input, ns });
      const radius = evaluate.precisionRecallByRadius(input);
      expect(await evaluate.precisionRecallAtNAsync({ ...input, ns })).toEqual(topN);
      expect(await evaluate.precisionRecallByRadiusAsync(input)).toEqual(radius);
      const cq = clean(q, c.bits), cd = clean(d, c.bits);
      const pAt: number[][] = ns.map(() => []);
      const rAt: number[][] = Array.from({ length: c.bits + 1 }, () => []);
      for (let i = 0; i < c.nq; i++) {
        const items = Array.from({ length: c.nd }, (_, j) => ({ j, dist: hamming(cq, i, cd, j, c.bits), rel: Array.from({ length: c.classes }, (_, k) => ql[i * c.classes + k] & dl[j * c.classes + k]).some(Boolean) }));
        const relevant = items.filter((x) => x.rel).length;
        if (relevant === 0 && c.skip) continue;
        items.sort((x, y) => x.dist - y.dist || x.j - y.j);
        ns.forEach((n, g) => pAt[g].push(items.slice(0, n).filter((x) => x.rel).length / Math.min(n, c.nd)));
        for (let r = 0; r <= c.bits; r++) rAt[r].push(relevant ? items.filter((x) => x.rel && x.dist <= r).length / relevant : 0);
      }
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      ns.forEach((_, g) => (Number.isNaN(mean(pAt[g])) ? expect(topN.precision[g]).toBeNaN() : expect(topN.precision[g]).toBeCloseTo(mean(pAt[g]), 10)));
      for (let r = 0; r <= c.bits; r += Math.max(1, Math.floor(c.bits / 16))) {
        if (Number.isNaN(mean(rAt[r]))) expect(radius.recall[r]).toBeNaN();
        else expect(radius.recall[r]).toBeCloseTo(mean(rAt[r]), 10);
      }
    }), { numRuns: 120 });
  });

  it('garbage arguments at the native boundary are coded errors, never a crash', () => {
    const codes = new Uint8Array(64), labels = { rows: 4, cols: 2, data: new Uint8Array(8) };
    const good = { queries: codes, queryCount: 4, database: codes, databaseCount: 4, bits: 64, queryLabels: labels, databaseLabels: labels, ns: [1, 2] };
    const keys = Object.keys(good) as (keyof typeof good)[];
    fc.assert(fc.property(fc.constantFrom(...keys), garbage, fc.constantFrom('meanAveragePrecision', 'precisionRecallAtN', 'precisionRecallByRadius'), (key, value, fn) => {
      try {
        native[fn]({ ...good, [key]: value });
      } catch (e) {
        expect(isCoded(e), String(e)).toBe(true);
      }
    }), { numRuns: 600 });
  });
});
