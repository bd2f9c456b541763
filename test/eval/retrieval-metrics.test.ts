import { describe, expect, it } from 'vitest';

import { AscmhError } from '../../src/core/errors.js';
import { thrown } from '../helpers/naive.js';
import {
  precisionRecallAtN,
  precisionRecallAtNAsync,
  precisionRecallByRadius,
  precisionRecallByRadiusAsync,
  type RetrievalMetricsInput,
} from '../../src/eval/retrieval-metrics.js';
import { native } from '../../src/core/native.js';
import { hamming, randomCodes, randomLabels, rng } from '../helpers/hamming-reference.js';

function makeInput(nq: number, nd: number, bits: number, classes: number, seed: number, pool = 0, density = 0.2): RetrievalMetricsInput {
  const rand = rng(seed);
  return {
    queries: randomCodes(nq, bits, rand, pool),
    database: randomCodes(nd, bits, rand, pool),
    queryLabels: { rows: nq, cols: classes, data: randomLabels(nq, classes, rand, density) },
    databaseLabels: { rows: nd, cols: classes, data: randomLabels(nd, classes, rand, density) },
  };
}

/** Naive: full ranking by stable sort on distance (ties by database index), then counts. */
function reference(input: RetrievalMetricsInput, ns: number[], skip: boolean) {
  const { queries, database, queryLabels: ql, databaseLabels: dl } = input;
  const bits = queries.bits, C = ql.cols;
  const pN = ns.map(() => 0), rN = ns.map(() => 0);
  const pR = new Array(bits + 1).fill(0), nR = new Array(bits + 1).fill(0), rR = new Array(bits + 1).fill(0);
  let evaluated = 0;
  for (let q = 0; q < queries.count; q++) {
    const rel = (i: number) => {
      for (let c = 0; c < C; c++) if (ql.data[q * C + c] && dl.data[i * C + c]) return 1;
      return 0;
    };
    const items = Array.from({ length: database.count }, (_, i) => ({ i, d: hamming(queries.data, q, database.data, i, bits), r: rel(i) }));
    const total = items.reduce((s, x) => s + x.r, 0);
    if (total === 0 && skip) continue;
    evaluated++;
    const ranked = items.slice().sort((a, b) => a.d - b.d || a.i - b.i);
    ns.forEach((N, g) => {
      const m = Math.min(N, ranked.length);
      const hits = ranked.slice(0, m).reduce((s, x) => s + x.r, 0);
      pN[g] += hits / m;
      rN[g] += total ? hits / total : 0;
    });
    for (let r = 0; r <= bits; r++) {
      const within = items.filter((x) => x.d <= r);
      const hits = within.reduce((s, x) => s + x.r, 0);
      if (within.length) {
        pR[r] += hits / within.length;
        nR[r]++;
      }
      rR[r] += total ? hits / total : 0;
    }
  }
  return {
    evaluated,
    precision: pN.map((v) => v / evaluated),
    recall: rN.map((v) => v / evaluated),
    radiusPrecision: pR.map((v, r) => (nR[r] ? v / nR[r] : NaN)),
    radiusRecall: rR.map((v) => v / evaluated),
    radiusQueries: nR,
  };
}

function expectClose(got: ArrayLike<number>, want: number[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) expect(got[i]).toBeNaN();
    else expect(got[i]).toBeCloseTo(want[i], 12);
  }
}

describe('retrieval metrics equal the naive reference', () => {
  const cases: [number, number, number][] = [
    // bits, pool (0 = random codes; small pools give long tie runs), label density
    [8, 0, 0.2], [16, 30, 0.3], [24, 0, 0.1], [32, 8, 0.2], [40, 0, 0.05], [64, 0, 0.2],
    [64, 12, 0.2], [128, 0, 0.3], [200, 20, 0.15], [256, 0, 0.2], [1024, 0, 0.2],
  ];
  for (const [bits, pool, density] of cases) {
    it(`${bits} bits, pool ${pool}, label density ${density}`, () => {
      const nd = 600;
      const input = makeInput(33, nd, bits, 6, bits * 31 + pool, pool, density);
      const ns = [1, 2, 7, 50, 100, 333, nd - 1, nd, nd + 50];
      for (const skip of [false, true]) {
        const want = reference(input, ns, skip);
        const top = precisionRecallAtN({ ...input, ns, skipWithoutRelevant: skip });
        expect(top.evaluated).toBe(want.evaluated);
        expectClose(top.precision, want.precision);
        expectClose(top.recall, want.recall);
        const pr = precisionRecallByRadius({ ...input, skipWithoutRelevant: skip });
        expect(pr.evaluated).toBe(want.evaluated);
        expectClose(pr.precision, want.radiusPrecision);
        expectClose(pr.recall, want.radiusRecall);
        expect(Array.from(pr.precisionQueries)).toEqual(want.radiusQueries);
      }
    });
  }

  it('radius 0 and radius = bits are the exact-match and whole-database points', () => {
    const input = makeInput(10, 300, 32, 4, 9, 5);
    const pr = precisionRecallByRadius(input);
    expect(pr.recall[32]).toBeCloseTo(reference(input, [300], false).recall[0], 12);
    const top = precisionRecallAtN({ ...input, ns: [300] });
    expect(pr.precision[32]).toBeCloseTo(top.precision[0], 12);
  });

  it('async results equal sync results', async () => {
    const input = makeInput(40, 5000, 64, 8, 3, 200);
    const ns = [1, 10, 100, 1000, 5000];
    expect(await precisionRecallAtNAsync({ ...input, ns })).toEqual(precisionRecallAtN({ ...input, ns }));
    expect(await precisionRecallByRadiusAsync(input)).toEqual(precisionRecallByRadius(input));
  });

  it('fallback distance kernels (popcnt, portable) give the same metrics', () => {
    const best: string = native.hammingKernel();
    try {
      for (const bits of [24, 64, 128, 200]) {
        const input = makeInput(12, 1000, bits, 5, bits, 40);
        const ns = [1, 10, 100, 999];
        const want = [precisionRecallByRadius(input), precisionRecallAtN({ ...input, ns })];
        for (const kernel of ['popcnt', 'generic']) {
          expect(native._setHammingKernel(kernel)).toBe(true);
          expect([precisionRecallByRadius(input), precisionRecallAtN({ ...input, ns })]).toEqual(want);
          native._setHammingKernel(best);
        }
      }
    } finally {
      native._setHammingKernel(best);
    }
  });

  it('accepts codes that do not start at a multiple of 8 bytes', () => {
    const input = makeInput(5, 100, 64, 3, 4);
    const shifted = new Uint8Array(input.database.data.length + 3);
    shifted.set(input.database.data, 3);
    const moved = { ...input, database: { ...input.database, data: shifted.subarray(3) } };
    expect(precisionRecallByRadius(moved)).toEqual(precisionRecallByRadius(input));
  });
});

describe('meanAveragePrecision (optimised single pass) equals the naive reference', () => {
  function naiveMap(input: RetrievalMetricsInput, top: number, skip: boolean) {
    const { queries, database, queryLabels: ql, databaseLabels: dl } = input;
    const C = ql.cols;
    let sum = 0, n = 0;
    for (let q = 0; q < queries.count; q++) {
      const rel = (i: number) => {
        for (let c = 0; c < C; c++) if (ql.data[q * C + c] && dl.data[i * C + c]) return true;
        return false;
      };
      const ranked = Array.from({ length: database.count }, (_, i) => ({ i, d: hamming(queries.data, q, database.data, i, queries.bits) }))
        .sort((a, b) => a.d - b.d || a.i - b.i);
      const total = ranked.filter((x) => rel(x.i)).length;
      if (total === 0 && skip) continue;
      n++;
      let hits = 0, ap = 0;
      ranked.slice(0, top || ranked.length).forEach((x, r) => {
        if (rel(x.i)) ap += ++hits / (r + 1);
      });
      sum += hits ? ap / hits : 0;
    }
    return n ? sum / n : 0;
  }
  for (const [bits, pool, density] of [[16, 10, 0.2], [64, 0, 0.1], [64, 15, 0.3], [128, 0, 0.2], [200, 25, 0.05]] as const) {
    it(`${bits} bits, pool ${pool}`, () => {
      const input = makeInput(30, 800, bits, 5, bits + pool, pool, density);
      for (const top of [0, 1, 50, 799]) {
        for (const skip of [false, true]) {
          const r = native.meanAveragePrecision({
            queries: input.queries.data, queryCount: 30, database: input.database.data, databaseCount: 800, bits,
            queryLabels: input.queryLabels, databaseLabels: input.databaseLabels, top, skipWithoutRelevant: skip,
          });
          expect(r.map).toBeCloseTo(naiveMap(input, top, skip), 12);
        }
      }
    });
  }
});

describe('bad metric input throws a coded error', () => {
  const input = makeInput(4, 20, 16, 3, 1);
  const cases: [string, () => unknown, string][] = [
    ['empty ns', () => precisionRecallAtN({ ...input, ns: [] }), 'ERR_ASCMH_OPTION'],
    ['N = 0', () => precisionRecallAtN({ ...input, ns: [0] }), 'ERR_ASCMH_OPTION'],
    ['fractional N', () => precisionRecallAtN({ ...input, ns: [2.5] }), 'ERR_ASCMH_OPTION'],
    ['bits mismatch', () => precisionRecallByRadius({ ...input, database: { ...input.database, bits: 32 } }), 'ERR_ASCMH_BITS_MISMATCH'],
    ['short codes', () => precisionRecallByRadius({ ...input, queries: { ...input.queries, count: 5 } }), 'ERR_ASCMH_CODES_LENGTH'],
    ['label rows', () => precisionRecallByRadius({ ...input, queryLabels: { ...input.queryLabels, rows: 3 } }), 'ERR_ASCMH_SHAPE'],
    ['label classes', () => precisionRecallByRadius({ ...input, queryLabels: { rows: 4, cols: 2, data: new Uint8Array(8) } }), 'ERR_ASCMH_SHAPE'],
    ['empty database', () => precisionRecallByRadius({
      ...input,
      database: { count: 0, bits: 16, data: new Uint8Array(0) },
      databaseLabels: { rows: 0, cols: 3, data: new Uint8Array(0) },
    }), 'ERR_ASCMH_EMPTY'],
  ];
  for (const [name, call, code] of cases) {
    it(name, () => {
      const error = thrown(call);
      expect(error).toBeInstanceOf(AscmhError);
      expect((error as AscmhError).code).toBe(code);
    });
  }
});
