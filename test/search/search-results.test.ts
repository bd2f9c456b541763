// Search results as classes over the native arrays: get(q) gives the same entries as the raw
// arrays (checked against a naive ranking), toJSON survives JSON.stringify, ids as numbers are
// exact up to 2^53 and refused beyond, and the raw fields stay what the fast path reads.
import { describe, expect, it } from 'vitest';
import { HammingIndex, RadiusResult, TopKResult, idsAsNumbers } from '../../src/index.js';
import { codeAt, randomCodes, rankAll, rng, type RefItem } from '../helpers/hamming-reference.js';

function setup(ids?: bigint[]) {
  const rand = rng(7);
  const bits = 40;
  const db = randomCodes(300, bits, rand, 20);
  const queries = randomCodes(9, bits, rand, 20);
  const index = new HammingIndex({ bits });
  index.add(db, ids);
  const items: RefItem[] = Array.from({ length: db.count }, (_, i) => ({ id: ids ? ids[i] : BigInt(i), code: codeAt(db, i) }));
  return { index, queries, items, bits };
}

describe('search results', () => {
  it('get(q) gives query q\'s top-k, equal to a naive ranking, as views of the raw arrays', async () => {
    const { index, queries, items, bits } = setup();
    for (const r of [index.search(queries, { k: 12 }), await index.searchAsync(queries, { k: 12 })]) {
      expect(r).toBeInstanceOf(TopKResult);
      expect(r.ids).toBeInstanceOf(BigInt64Array);
      for (let q = 0; q < queries.count; q++) {
        const want = rankAll(codeAt(queries, q), items, bits).slice(0, 12);
        const got = r.get(q);
        expect(Array.from(got.ids)).toEqual(want.map((w) => w.id));
        expect(Array.from(got.distances)).toEqual(want.map((w) => w.d));
        expect(got.ids.buffer).toBe(r.ids.buffer); // a view, not a copy
      }
      expect([...r].length).toBe(queries.count);
      expect(() => r.get(queries.count)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_OPTION' }));
      expect(() => r.get(-1)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_OPTION' }));
    }
  });

  it('radius results: get(q) follows the offsets and equals the naive ranking cut at the radius', async () => {
    const { index, queries, items, bits } = setup();
    for (const r of [index.searchRadius(queries, { radius: 14 }), await index.searchRadiusAsync(queries, { radius: 14 })]) {
      expect(r).toBeInstanceOf(RadiusResult);
      for (let q = 0; q < queries.count; q++) {
        const want = rankAll(codeAt(queries, q), items, bits).filter((w) => w.d <= 14);
        expect(Array.from(r.get(q).ids)).toEqual(want.map((w) => w.id));
        expect(Array.from(r.get(q).distances)).toEqual(want.map((w) => w.d));
      }
    }
  });

  it('JSON.stringify works: ids are numbers, or decimal strings beyond 2^53', () => {
    const { index, queries, items, bits } = setup();
    const json = JSON.parse(JSON.stringify(index.search(queries, { k: 5 })));
    expect(json.count).toBe(queries.count);
    expect(json.k).toBe(5);
    json.results.forEach((res: { ids: number[]; distances: number[] }, q: number) => {
      const want = rankAll(codeAt(queries, q), items, bits).slice(0, 5);
      expect(res.ids).toEqual(want.map((w) => Number(w.id)));
      expect(res.distances).toEqual(want.map((w) => w.d));
    });
    const big = [2n ** 60n, -(2n ** 62n), 2n ** 53n - 1n];
    const ids = Array.from({ length: 300 }, (_, i) => big[i] ?? BigInt(i));
    const s = setup(ids);
    const radius = JSON.parse(JSON.stringify(s.index.searchRadius(s.queries, { radius: s.bits })));
    // Every item is within radius = bits: each id appears once, in its exact JSON form.
    expect([...radius.results[0].ids].sort()).toEqual(ids.map((id) => (id === 2n ** 60n || id === -(2n ** 62n) ? String(id) : Number(id))).sort());
  });

  it("idType 'number' gives exact number ids; an id beyond 2^53 is ERR_ASCMH_ID_RANGE", async () => {
    const { index, queries } = setup();
    const asBig = index.search(queries, { k: 20 });
    const asNumber = await index.searchAsync(queries, { k: 20, idType: 'number' });
    expect(asNumber.ids).toBeInstanceOf(Float64Array);
    expect(Array.from(asNumber.ids)).toEqual(Array.from(asBig.ids, Number));
    expect(asNumber.distances).toEqual(asBig.distances);
    const radius = index.searchRadius(queries, { radius: 10, idType: 'number' });
    expect(Array.from(radius.get(0).ids)).toEqual(Array.from(index.searchRadius(queries, { radius: 10 }).get(0).ids, Number));
    expect(() => index.search(queries, { k: 1, idType: 'string' as never })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_OPTION' }));

    const edge = [2n ** 53n - 1n, -(2n ** 53n - 1n), -1n, 2n ** 32n + 5n, -(2n ** 32n) - 3n];
    expect(Array.from(idsAsNumbers(BigInt64Array.from(edge)))).toEqual(edge.map(Number));
    for (const bad of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      expect(() => idsAsNumbers(BigInt64Array.of(0n, bad))).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_ID_RANGE' }));
    }
    const s = setup(Array.from({ length: 300 }, (_, i) => (i === 0 ? 2n ** 60n : BigInt(i))));
    expect(() => s.index.search(s.queries, { k: 300, idType: 'number' })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_ID_RANGE' }));
  });

  it('keeps the raw fields a server reads: count, k, ids, distances (top-k, no offsets); count, offsets, ids, distances (radius)', () => {
    const { index, queries } = setup();
    const top = index.search(queries, { k: 3 });
    expect('offsets' in top).toBe(false);
    expect(top.ids.length).toBe(queries.count * 3);
    expect(top.distances).toBeInstanceOf(Uint16Array);
    const near = index.searchRadius(queries, { radius: 5 });
    expect(near.offsets).toBeInstanceOf(Float64Array);
    expect(near.offsets.length).toBe(queries.count + 1);
    expect(near.ids.length).toBe(near.offsets[queries.count]);
  });
});
