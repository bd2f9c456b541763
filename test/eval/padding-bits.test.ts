// Bits above `bits` in each code's last 64-bit word are not part of the code (issue 10, item 1).
// Codes that carry garbage there, as hand-made or foreign codes may, give exactly the metrics of
// the same codes with those bits cleared, which a naive all-pairs reference confirms. Before the
// fix a 16-bit code with a padding bit set had distance 17 and wrote past the per-distance counts
// (heap corruption: "malloc(): unaligned tcache chunk detected").
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/index.js';
import { randomCodes, randomLabels, rng } from '../helpers/hamming-reference.js';
import { naiveMap } from '../helpers/naive.js';

function setWith(bits: number, seed: number) {
  const rand = rng(seed);
  const nq = 30, nd = 200, classes = 4;
  const dirtyQ = randomCodes(nq, bits, rand, 0, false), dirtyD = randomCodes(nd, bits, rand, 12, false);
  const clean = (c: typeof dirtyQ) => {
    const data = c.data.slice(), stride = Math.ceil(bits / 64) * 8;
    for (let i = 0; i < c.count; i++) for (let j = bits; j < stride * 8; j++) data[i * stride + (j >> 3)] &= ~(1 << (j & 7));
    return { ...c, data };
  };
  const labels = { queryLabels: { rows: nq, cols: classes, data: randomLabels(nq, classes, rand) }, databaseLabels: { rows: nd, cols: classes, data: randomLabels(nd, classes, rand) } };
  return { dirty: { queries: dirtyQ, database: dirtyD, ...labels }, clean: { queries: clean(dirtyQ), database: clean(dirtyD), ...labels } };
}

describe('padding bits are ignored by every metric', () => {
  for (const bits of [16, 24, 40, 63, 100, 200]) {
    it(`${bits}-bit codes with garbage above bit ${bits}`, async () => {
      const { dirty, clean } = setWith(bits, bits);
      // Garbage really is there.
      expect(dirty.database.data.some((v, i) => v !== clean.database.data[i])).toBe(true);
      const want = naiveMap(clean.queries.data, clean.database.data, bits, clean.queries.count, clean.database.count,
        clean.queryLabels.data, clean.databaseLabels.data, clean.queryLabels.cols);
      const sync = evaluate.averagePrecision(dirty);
      expect(sync.map).toBeCloseTo(want.map, 12);
      expect(Array.from(sync.averagePrecision)).toEqual(Array.from(evaluate.averagePrecision(clean).averagePrecision));
      expect((await evaluate.averagePrecisionAsync(dirty)).map).toBe(sync.map);
      expect(evaluate.meanAveragePrecision({ ...dirty, top: 20 })).toBe(evaluate.meanAveragePrecision({ ...clean, top: 20 }));

      const ns = [1, 5, 50, 500];
      expect(evaluate.precisionRecallAtN({ ...dirty, ns })).toEqual(evaluate.precisionRecallAtN({ ...clean, ns }));
      expect(await evaluate.precisionRecallAtNAsync({ ...dirty, ns })).toEqual(evaluate.precisionRecallAtN({ ...clean, ns }));
      const radius = evaluate.precisionRecallByRadius(dirty);
      expect(radius.recall).toHaveLength(bits + 1);
      expect(radius).toEqual(evaluate.precisionRecallByRadius(clean));
      expect(await evaluate.precisionRecallByRadiusAsync(dirty)).toEqual(radius);
    });
  }
});
