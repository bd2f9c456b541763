// Requests whose answer could not fit in memory are refused before anything is allocated
// (issue 10, item 6). Before the fix the sync forms aborted the process (std::bad_alloc through
// std::terminate) and the async forms rejected with an uncoded "std::bad_alloc".
import { describe, expect, it } from 'vitest';
import { HammingIndex, evaluate, memoryLimit, setMemoryLimit } from '../../src/index.js';
import { randomCodes, randomLabels, rng } from '../helpers/hamming-reference.js';
import { thrown } from '../helpers/naive.js';

const tooLarge = { code: 'ERR_ASCMH_TOO_LARGE', name: 'AscmhError' };

describe('the memory limit', () => {
  it('is half the physical memory by default and can be set', async () => {
    const { totalmem } = await import('node:os');
    const limit = memoryLimit();
    expect(Math.abs(limit - totalmem() / 2)).toBeLessThan(totalmem() * 0.01);
    setMemoryLimit(1 << 20);
    try {
      expect(memoryLimit()).toBe(1 << 20);
    } finally {
      setMemoryLimit(0);
    }
    expect(memoryLimit()).toBe(limit);
    for (const bad of [-1, 1.5, NaN, '1' as never]) expect(thrown(() => setMemoryLimit(bad))).toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });

  it('top-k with 1e7 queries and k = 1e6 over 1e6 items', async () => {
    const index = new HammingIndex({ bits: 64 });
    index.add({ count: 1e6, bits: 64, data: new Uint8Array(8e6) });
    const queries = { count: 1e7, bits: 64, data: new Uint8Array(8e7) };
    expect(thrown(() => index.search(queries, { k: 1e6 }))).toMatchObject(tooLarge);
    await expect(index.searchAsync(queries, { k: 1e6 })).rejects.toMatchObject(tooLarge);
    // The same index still answers a sensible request.
    expect(index.search({ count: 1, bits: 64, data: new Uint8Array(8) }, { k: 3 }).distances).toEqual(new Uint16Array([0, 0, 0]));
  });

  it('a radius search whose results outgrow the limit stops with a coded error', async () => {
    setMemoryLimit(4 << 20);  // 200k results
    try {
      const index = new HammingIndex({ bits: 64 });
      index.add({ count: 100_000, bits: 64, data: new Uint8Array(800_000) });
      const queries = { count: 10, bits: 64, data: new Uint8Array(80) };
      expect(thrown(() => index.searchRadius(queries, { radius: 0 }))).toMatchObject(tooLarge);
      await expect(index.searchRadiusAsync(queries, { radius: 0 })).rejects.toMatchObject(tooLarge);
      expect(index.searchRadius(queries, { radius: 0, limit: 1000 }).ids).toHaveLength(10_000);
    } finally {
      setMemoryLimit(0);
    }
  });

  it('precision and recall at 1e6 list lengths for 1e6 queries', async () => {
    const rand = rng(3);
    const n = 1e6;
    const input = {
      queries: { count: n, bits: 8, data: new Uint8Array(8 * n) },
      database: randomCodes(10, 8, rand),
      queryLabels: { rows: n, cols: 1, data: new Uint8Array(n).fill(1) },
      databaseLabels: { rows: 10, cols: 1, data: randomLabels(10, 1, rand) },
      ns: Array.from({ length: n }, (_, i) => i + 1),
    };
    expect(thrown(() => evaluate.precisionRecallAtN(input))).toMatchObject(tooLarge);
    await expect(evaluate.precisionRecallAtNAsync(input)).rejects.toMatchObject(tooLarge);
  });

  it('remove() with an array of length 2^32 - 1', () => {
    const index = new HammingIndex({ bits: 64 });
    index.add({ count: 3, bits: 64, data: new Uint8Array(24) });
    expect(thrown(() => index.remove(new Array(2 ** 32 - 1)))).toMatchObject(tooLarge);
    // A long array of holes that fits is refused at its first hole, without reading the rest.
    expect(thrown(() => index.remove(new Array(2 ** 24)))).toMatchObject({ code: 'ERR_ASCMH_IDS_TYPE' });
    expect(index.size).toBe(3);
  });

  it('training whose kernel features cannot fit is refused before it starts', async () => {
    setMemoryLimit(1 << 20);
    try {
      const { datasets, ASCMH } = await import('../../src/index.js');
      const data = datasets.synthetic({ n: 600, seed: 1 });
      await expect(ASCMH.fit(data, { bits: 16 })).rejects.toMatchObject(tooLarge);
    } finally {
      setMemoryLimit(0);
    }
  });
});
