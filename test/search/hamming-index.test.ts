import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { AscmhError } from '../../src/core/errors.js';
import { thrown } from '../helpers/naive.js';
import { HammingIndex, type HammingCodes } from '../../src/search/hamming-index.js';
import { native } from '../../src/core/native.js';
import { bytesPerCode, codeAt, randomCodes, rankAll, rng, type RefItem } from '../helpers/hamming-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'ascmh-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The index plus a naive mirror of its content in insertion order. */
function build(bits: number, batches: HammingCodes[]) {
  const index = new HammingIndex({ bits });
  const items: RefItem[] = [];
  let next = 0n;
  for (const b of batches) {
    index.add(b);
    for (let i = 0; i < b.count; i++) items.push({ id: next++, code: codeAt(b, i) });
  }
  return { index, items };
}

function expectTopK(index: HammingIndex, items: RefItem[], queries: HammingCodes, k: number) {
  const r = index.search(queries, { k });
  const kk = Math.min(k, items.length);
  expect(r.k).toBe(kk);
  expect(r.count).toBe(queries.count);
  expect(r.ids.length).toBe(queries.count * kk);
  for (let q = 0; q < queries.count; q++) {
    const want = rankAll(codeAt(queries, q), items, queries.bits).slice(0, kk);
    const gotIds = Array.from(r.ids.subarray(q * kk, (q + 1) * kk));
    const gotD = Array.from(r.distances.subarray(q * kk, (q + 1) * kk));
    expect(gotD).toEqual(want.map((w) => w.d));
    expect(gotIds).toEqual(want.map((w) => w.id));
  }
  return r;
}

function expectRadius(index: HammingIndex, items: RefItem[], queries: HammingCodes, radius: number, limit?: number) {
  const r = index.searchRadius(queries, limit === undefined ? { radius } : { radius, limit });
  expect(r.offsets.length).toBe(queries.count + 1);
  for (let q = 0; q < queries.count; q++) {
    let want = rankAll(codeAt(queries, q), items, queries.bits).filter((w) => w.d <= radius);
    if (limit !== undefined) want = want.slice(0, limit);
    const a = r.offsets[q], b = r.offsets[q + 1];
    expect(Array.from(r.distances.subarray(a, b))).toEqual(want.map((w) => w.d));
    expect(Array.from(r.ids.subarray(a, b))).toEqual(want.map((w) => w.id));
  }
  return r;
}

describe('HammingIndex search equals the naive reference', () => {
  const widths = [8, 16, 24, 32, 40, 63, 64, 65, 100, 128, 200, 256, 300, 512, 1024];
  for (const bits of widths) {
    it(`top-k and radius at ${bits} bits, random and tied codes`, () => {
      const rand = rng(bits * 7919);
      for (const [n, pool] of [[0, 0], [1, 0], [13, 0], [700, 0], [700, 5], [2100, 40]] as const) {
        const db = randomCodes(n, bits, rand, pool);
        const { index, items } = build(bits, [db]);
        expect(index.size).toBe(n);
        const queries = randomCodes(37, bits, rand, pool > 0 ? 0 : 0);
        // Some queries equal database codes: distance-0 hits and long tie runs.
        for (let q = 0; q < Math.min(n, 10); q++) queries.data.set(codeAt(db, q * 3 % n), q * bytesPerCode(bits));
        for (const k of [1, 3, 100, n + 5]) expectTopK(index, items, queries, k);
        for (const radius of [0, Math.floor(bits / 3), Math.floor(bits / 2), bits]) expectRadius(index, items, queries, radius);
        expectRadius(index, items, queries, Math.floor(bits / 2), 4);
      }
    });
  }

  it('spans several L2 chunks, query groups and segments (64 and 128 bits)', () => {
    for (const bits of [64, 128, 256]) {
      const rand = rng(bits);
      // Batches give segments of 66000 and 20009 items (small appends merge into the last one).
      const a = randomCodes(66000, bits, rand, 3000);
      const b = randomCodes(9, bits, rand);
      const c = randomCodes(20000, bits, rand, 15000);
      const { index, items } = build(bits, [a, b, c]);
      const queries = randomCodes(36, bits, rand);
      queries.data.set(codeAt(a, 5), 0);
      expectTopK(index, items, queries, 10);
      expectTopK(index, items, { ...queries, count: 3 }, 250);
      expectRadius(index, items, { ...queries, count: 5 }, Math.floor(bits * 0.35));
      // One query: the database is split across threads and the parts merged.
      expectTopK(index, items, { ...queries, count: 1 }, 3000);
      expectRadius(index, items, { ...queries, count: 1 }, Math.floor(bits * 0.4));
      expectRadius(index, items, { ...queries, count: 1 }, Math.floor(bits * 0.4), 7);
    }
  }, 120000);

  it('large k: exact when the sampled bound on the cut proves too tight (the sample holds removed items)', () => {
    // A large-k search estimates its cut from a sample of the database, removed items included.
    // Here 40% of the items (interleaved, so no chunk is compacted) sit next to the query and are
    // then removed, so the estimate is far too low: the search must notice and scan again.
    const bits = 64;
    const rand = rng(4242);
    const center = randomCodes(1, bits, rand);
    const db = randomCodes(50000, bits, rand);
    const nearIds: number[] = [];
    for (let i = 0; i < db.count; i++) {
      if (i % 5 >= 2) continue;
      db.data.set(center.data, i * 8);
      db.data[i * 8 + (i % 8)] ^= 1 << (i % 7);  // distance 1 from the center
      nearIds.push(i);
    }
    const { index, items: all } = build(bits, [db]);
    expect(index.remove(nearIds)).toBe(nearIds.length);
    const items = all.filter((_, i) => i % 5 >= 2);
    const queries = randomCodes(8, bits, rand);
    queries.data.set(center.data, 0);
    queries.data.set(center.data, 3 * 8);
    for (const k of [300, 2000]) {
      expectTopK(index, items, { ...queries, count: 1 }, k);  // one query: runs per thread, merged
      expectTopK(index, items, queries, k);                   // a group of queries
    }
    // Where the sample is representative (nothing removed), the same answers as a full sort.
    const whole = build(bits, [randomCodes(40000, bits, rand, 2000)]);
    for (const k of [400, 1000]) {
      expectTopK(whole.index, whole.items, { ...queries, count: 1 }, k);
      expectTopK(whole.index, whole.items, queries, k);
    }
  }, 60000);

  it('ignores bits beyond the code width in codes and queries', () => {
    const rand = rng(5);
    for (const bits of [8, 40, 200]) {
      const clean = randomCodes(300, bits, rand);
      const dirty = { ...clean, data: clean.data.slice() };
      for (let i = 0; i < dirty.count; i++) {
        const last = (i + 1) * bytesPerCode(bits) - 1;
        dirty.data[last] |= 0x80;
      }
      const { index, items } = build(bits, [clean]);
      const dirtyIndex = new HammingIndex({ bits });
      dirtyIndex.add(dirty);
      const q = randomCodes(8, bits, rand, 0, false);
      const cleanQ = { ...q, data: q.data.slice() };
      const r = expectTopK(index, items, cleanQ, 20);
      const r2 = dirtyIndex.search(q, { k: 20 });
      expect(r2.ids).toEqual(r.ids);
      expect(r2.distances).toEqual(r.distances);
      expect(Array.from(dirtyIndex.get(0)!)).toEqual(Array.from(codeAt(clean, 0)));
    }
  });

  it('searches on a single thread give the same answer', () => {
    const rand = rng(77);
    const db = randomCodes(20000, 128, rand, 500);
    const { index } = build(128, [db]);
    const q = randomCodes(20, 128, rand);
    const a = index.search(q, { k: 30 });
    const b = index.search(q, { k: 30, threads: 1 });
    expect(b).toEqual(a);
  });
});

describe('fallback kernels (popcnt, portable) give the same answers', () => {
  const best = HammingIndex.kernel;
  afterAll(() => {
    native._setHammingKernel(best);
  });
  for (const kernel of ['popcnt', 'generic']) {
    it(kernel, () => {
      expect(native._setHammingKernel(kernel)).toBe(true);
      expect(HammingIndex.kernel).toBe(kernel);
      const rand = rng(kernel.length);
      for (const bits of [16, 24, 32, 64, 100, 128, 200, 256]) {
        const db = randomCodes(3000, bits, rand, 300);
        const { index, items } = build(bits, [db]);
        const queries = randomCodes(9, bits, rand);
        expectTopK(index, items, queries, 50);
        expectTopK(index, items, { ...queries, count: 1 }, 50);
        expectRadius(index, items, queries, Math.floor(bits * 0.4));
      }
      native._setHammingKernel(best);
    }, 60000);
  }
  it('rejects unknown kernel names', () => {
    expect(native._setHammingKernel('sse9')).toBe(false);
    expect(HammingIndex.kernel).toBe(best);
  });
});

describe('ids, remove and get', () => {
  it('accepts every id type and keeps insertion order for ties', () => {
    const rand = rng(11);
    const bits = 32;
    const index = new HammingIndex({ bits });
    const items: RefItem[] = [];
    const batches: [HammingCodes, unknown][] = [];
    const codes = randomCodes(60, bits, rand, 4);
    const slices = (i: number) => ({ count: 10, bits, data: codes.data.slice(i * 80, (i + 1) * 80) });
    batches.push([slices(0), BigInt64Array.from([100n, 101n, 102n, 103n, 104n, 105n, 106n, 107n, 108n, -5n])]);
    batches.push([slices(1), BigUint64Array.from({ length: 10 }, (_, i) => 200n + BigInt(i))]);
    batches.push([slices(2), Uint32Array.from({ length: 10 }, (_, i) => 300 + i)]);
    batches.push([slices(3), Int32Array.from({ length: 10 }, (_, i) => -300 - i)]);
    batches.push([slices(4), Array.from({ length: 10 }, (_, i) => (i % 2 ? 400 + i : BigInt(2 ** 60) + BigInt(i)))]);
    batches.push([slices(5), undefined]);
    for (const [c, ids] of batches) {
      index.add(c, ids as never);
      for (let i = 0; i < c.count; i++) {
        const id = ids === undefined ? 2n ** 60n + 9n + BigInt(i) : BigInt((ids as ArrayLike<number | bigint>)[i]);
        items.push({ id, code: codeAt(c, i) });
      }
    }
    expect(index.size).toBe(60);
    expectTopK(index, items, randomCodes(9, bits, rand), 60);
    expect(Array.from(index.get(-302)!)).toEqual(Array.from(codeAt(slices(3), 2)));
    expect(index.get(2n ** 60n + 2n)).toBeDefined();
    expect(index.get(999)).toBeUndefined();
  });

  it('remove, re-add and get match the reference, also after segment compaction', () => {
    const rand = rng(21);
    const bits = 64;
    const db = randomCodes(3000, bits, rand, 100);
    const { index, items } = build(bits, [db]);
    const queries = randomCodes(15, bits, rand);
    let live = items.slice();
    const drop = (ids: bigint[]) => {
      const set = new Set(ids);
      const before = live.length;
      live = live.filter((it) => !set.has(it.id));
      return before - live.length;
    };
    // Small removal (mask), then a large one (segment rewritten), unknown ids ignored.
    let ids = [5n, 7n, 7n, 2999n, 123456n];
    expect(index.remove(BigInt64Array.from(ids))).toBe(drop(ids));
    expectTopK(index, live, queries, 40);
    ids = Array.from({ length: 2000 }, (_, i) => BigInt(i * 3 % 3000));
    expect(index.remove(ids.map(Number))).toBe(drop(ids));
    expect(index.size).toBe(live.length);
    expectTopK(index, live, queries, 40);
    expectRadius(index, live, queries, 20);
    expect(index.get(0)).toBeUndefined();
    const survivor = live[17];
    expect(Array.from(index.get(survivor.id)!)).toEqual(Array.from(survivor.code));
    // A removed id can come back; it then ranks as the newest item.
    const back = randomCodes(2, bits, rand);
    index.add(back, [0, 3]);
    live.push({ id: 0n, code: codeAt(back, 0) }, { id: 3n, code: codeAt(back, 1) });
    expectTopK(index, live, queries, live.length);
    // Remove everything.
    expect(index.remove(live.map((it) => it.id))).toBe(live.length);
    expect(index.size).toBe(0);
    const empty = index.search(queries, { k: 5 });
    expect(empty.k).toBe(0);
    expect(empty.ids.length).toBe(0);
    const emptyR = index.searchRadius(queries, { radius: bits });
    expect(Array.from(emptyR.offsets)).toEqual(new Array(16).fill(0));
  });

  it('automatic ids continue after the largest id used', () => {
    const index = new HammingIndex({ bits: 16 });
    const c = randomCodes(2, 16, rng(3));
    index.add(c);
    index.add(c, [10, 4]);
    index.add(c);
    const r = index.search({ ...c, count: 1 }, { k: 6 });
    expect(Array.from(r.ids).sort((a, b) => Number(a - b))).toEqual([0n, 1n, 4n, 10n, 11n, 12n]);
  });
});

describe('save and load', () => {
  const rand = rng(99);
  const bits = 200;
  const db = randomCodes(5000, bits, rand, 900);
  const { index, items } = build(bits, [db]);
  index.remove([1, 2, 3]);
  const live = items.filter((it) => it.id > 3n || it.id === 0n);
  const path = join(dir, 'a.idx');
  index.save(path);
  const queries = randomCodes(12, bits, rand);

  it('round-trips content, order, ids and the automatic id counter', () => {
    const loaded = HammingIndex.load(path);
    expect(loaded.bits).toBe(bits);
    expect(loaded.size).toBe(live.length);
    expectTopK(loaded, live, queries, 77);
    expect(loaded.search(queries, { k: 77 })).toEqual(index.search(queries, { k: 77 }));
    expect(Array.from(loaded.get(4999)!)).toEqual(Array.from(codeAt(db, 4999)));
    loaded.add({ count: 1, bits, data: codeAt(db, 0) });
    expect(loaded.get(5000)).toBeDefined();
    const empty = new HammingIndex({ bits: 8 });
    empty.save(join(dir, 'empty.idx'));
    expect(HammingIndex.load(join(dir, 'empty.idx')).size).toBe(0);
  });

  const damaged = (name: string, edit: (b: Buffer) => Buffer, code: string) => {
    it(`rejects a ${name} file with ${code}`, () => {
      const p = join(dir, `${name.replace(/\W/g, '_')}.idx`);
      writeFileSync(p, edit(readFileSync(path)));
      const target = new HammingIndex({ bits: 64 });
      target.add(randomCodes(3, 64, rng(1)));
      let caught: unknown;
      try {
        // Load into an existing index through the static path and through a fresh one.
        HammingIndex.load(p);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AscmhError);
      expect((caught as AscmhError).code).toBe(code);
      expect(target.size).toBe(3);
    });
  };
  damaged('payload-flipped', (b) => { b[b.length - 100] ^= 1; return b; }, 'ERR_ASCMH_INDEX_CORRUPT');
  damaged('code-flipped', (b) => { b[60] ^= 0x10; return b; }, 'ERR_ASCMH_INDEX_CORRUPT');
  damaged('header-flipped', (b) => { b[17] ^= 1; return b; }, 'ERR_ASCMH_INDEX_CORRUPT');
  damaged('truncated', (b) => b.subarray(0, b.length - 8), 'ERR_ASCMH_INDEX_TRUNCATED');
  damaged('header-truncated', (b) => b.subarray(0, 20), 'ERR_ASCMH_INDEX_TRUNCATED');
  damaged('extended', (b) => Buffer.concat([b, Buffer.alloc(8)]), 'ERR_ASCMH_INDEX_CORRUPT');
  damaged('foreign', (b) => { b.write('NOTANIDX', 0); return b; }, 'ERR_ASCMH_INDEX_FORMAT');

  it('reports a missing file with ERR_ASCMH_IO', () => {
    expect(() => HammingIndex.load(join(dir, 'missing.idx'))).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_IO' }));
  });
});

describe('explicit ids: repeats are found by the id map as the batch goes in', () => {
  const bits = 64;
  const codes = (count: number, seed: number) => randomCodes(count, bits, rng(seed));
  const chunk = 2 ** 20;  // items per chunk (binding/index/snapshot.h)

  it('a batch across a chunk boundary with a repeat is refused whole, then accepted without it', () => {
    const index = new HammingIndex({ bits });
    const first = chunk - 6;
    const old = codes(first, 1);
    index.add(old, BigInt64Array.from({ length: first }, (_, i) => BigInt(3 * i)));
    const q = codes(4, 2);
    const before = index.search(q, { k: 5 });
    // 20 new ids, the last equal to the batch's second: the first 6 go into the first chunk, the
    // repeat is met in the next one.
    const fresh = Array.from({ length: 20 }, (_, i) => BigInt(-1 - i));
    const batch = codes(20, 3);
    const e = thrown(() => index.add(batch, [...fresh.slice(0, 19), fresh[1]]));
    expect(e).toMatchObject({ code: 'ERR_ASCMH_DUPLICATE_ID' });
    expect((e as Error).message).toContain('id -2 is repeated in the batch');
    expect(index.size).toBe(first);
    for (const id of fresh) expect(index.get(id)).toBeUndefined();
    expect(index.search(q, { k: 5 })).toEqual(before);
    // An id already present, met in the second chunk.
    const e2 = thrown(() => index.add(batch, [...fresh.slice(0, 19), 3n * 12345n]));
    expect((e2 as Error).message).toContain(`id ${3 * 12345} is already in the index`);
    expect(index.size).toBe(first);
    index.add(batch, fresh);
    expect(index.size).toBe(first + 20);
    fresh.forEach((id, i) => expect(index.get(id)).toEqual(codeAt(batch, i)));
    expect(index.get(BigInt(3 * (first - 1)))).toEqual(codeAt(old, first - 1));
  });

  it('removed ids can be added again; present ones, explicit or automatic, cannot', () => {
    const index = new HammingIndex({ bits });
    index.add(codes(100, 4));  // automatic ids 0..99
    index.add(codes(50, 5), BigInt64Array.from({ length: 50 }, (_, i) => BigInt(1000 + i)));
    expect(index.remove([1000n, 1001n, 1002n, 5n])).toBe(4);
    index.add(codes(3, 6), [1001n, 1000n, 1002n]);  // into erased slots
    expect(thrown(() => index.add(codes(2, 7), [2000n, 1002n]))).toMatchObject({ code: 'ERR_ASCMH_DUPLICATE_ID' });
    expect((thrown(() => index.add(codes(2, 7), [2000n, 7n])) as Error).message).toContain('id 7 is already in the index');
    index.add(codes(1, 8), [5n]);  // a removed automatic id
    expect(index.size).toBe(150);
    expect(index.get(2000n)).toBeUndefined();
    expect(index.get(5n)).toEqual(codeAt(codes(1, 8), 0));
  });
});

describe('bad input throws a coded error and leaves the index unchanged', () => {
  const bits = 40;
  const rand = rng(8);
  const db = randomCodes(50, bits, rand, 10);
  const { index } = build(bits, [db]);
  const q = randomCodes(3, bits, rand);
  const baseline = index.search(q, { k: 10 });
  const cases: [string, () => unknown, string][] = [
    ['bits below 8', () => new HammingIndex({ bits: 7 }), 'ERR_ASCMH_BITS'],
    ['bits above 1024', () => new HammingIndex({ bits: 1025 }), 'ERR_ASCMH_BITS'],
    ['fractional bits', () => new HammingIndex({ bits: 64.5 }), 'ERR_ASCMH_BITS'],
    ['add with bits mismatch', () => index.add({ ...db, bits: 64 }), 'ERR_ASCMH_BITS_MISMATCH'],
    ['add with short buffer', () => index.add({ ...db, data: db.data.subarray(0, db.data.length - 1) }), 'ERR_ASCMH_CODES_LENGTH'],
    ['add with non-Uint8Array data', () => index.add({ ...db, data: new Float64Array(50) as never }), 'ERR_ASCMH_DTYPE'],
    ['add with negative count', () => index.add({ ...db, count: -1 }), 'ERR_ASCMH_CODES'],
    ['add with ids of wrong length', () => index.add(db, new Uint32Array(49)), 'ERR_ASCMH_IDS_LENGTH'],
    ['add with duplicate ids in the batch', () => index.add({ ...db, count: 2 }, [1000, 1000]), 'ERR_ASCMH_DUPLICATE_ID'],
    ['add with an id already present', () => index.add({ ...db, count: 2 }, [1001, 7]), 'ERR_ASCMH_DUPLICATE_ID'],
    ['add with fractional id', () => index.add({ ...db, count: 1 }, [1.5]), 'ERR_ASCMH_ID_RANGE'],
    ['add with id beyond int64', () => index.add({ ...db, count: 1 }, BigUint64Array.of(2n ** 63n)), 'ERR_ASCMH_ID_RANGE'],
    ['add with string ids', () => index.add({ ...db, count: 1 }, ['1'] as never), 'ERR_ASCMH_IDS_TYPE'],
    ['add with Uint8Array ids', () => index.add({ ...db, count: 1 }, new Uint8Array(1) as never), 'ERR_ASCMH_IDS_TYPE'],
    ['search with k = 0', () => index.search(q, { k: 0 }), 'ERR_ASCMH_K'],
    ['search with k < 0', () => index.search(q, { k: -3 }), 'ERR_ASCMH_K'],
    ['search with fractional k', () => index.search(q, { k: 2.5 }), 'ERR_ASCMH_K'],
    ['search with k NaN', () => index.search(q, { k: NaN }), 'ERR_ASCMH_K'],
    ['search without k', () => index.search(q, {} as never), 'ERR_ASCMH_K'],
    ['search without options', () => index.search(q, undefined as never), 'ERR_ASCMH_OPTION'],
    ['search with bits mismatch', () => index.search({ ...q, bits: 41 }, { k: 1 }), 'ERR_ASCMH_BITS_MISMATCH'],
    ['search with short buffer', () => index.search({ ...q, count: 4 }, { k: 1 }), 'ERR_ASCMH_CODES_LENGTH'],
    ['search with bad threads', () => index.search(q, { k: 1, threads: -1 }), 'ERR_ASCMH_OPTION'],
    ['radius below 0', () => index.searchRadius(q, { radius: -1 }), 'ERR_ASCMH_RADIUS'],
    ['radius above bits', () => index.searchRadius(q, { radius: bits + 1 }), 'ERR_ASCMH_RADIUS'],
    ['fractional radius', () => index.searchRadius(q, { radius: 1.5 }), 'ERR_ASCMH_RADIUS'],
    ['limit 0', () => index.searchRadius(q, { radius: 3, limit: 0 }), 'ERR_ASCMH_LIMIT'],
    ['remove with bad ids', () => index.remove('x' as never), 'ERR_ASCMH_IDS_TYPE'],
    ['get with a fractional id', () => index.get(0.5), 'ERR_ASCMH_ID_RANGE'],
    ['save to a bad path', () => index.save(join(dir, 'no', 'such', 'dir.idx')), 'ERR_ASCMH_IO'],
  ];
  for (const [name, call, code] of cases) {
    it(name, () => {
      const error = thrown(call);
      expect(error).toBeInstanceOf(AscmhError);
      expect((error as AscmhError).code).toBe(code);
      expect(index.size).toBe(50);
      expect(index.search(q, { k: 10 })).toEqual(baseline);
    });
  }

  it('async variants reject with the same codes', async () => {
    await expect(index.searchAsync(q, { k: 0 })).rejects.toMatchObject({ code: 'ERR_ASCMH_K' });
    await expect(index.searchRadiusAsync(q, { radius: 99 })).rejects.toMatchObject({ code: 'ERR_ASCMH_RADIUS' });
  });
});

describe('async search', () => {
  it('equals sync search', async () => {
    const rand = rng(4);
    for (const bits of [64, 128, 200]) {
      const db = randomCodes(20000, bits, rand, 2000);
      const { index } = build(bits, [db]);
      const q = randomCodes(50, bits, rand);
      expect(await index.searchAsync(q, { k: 25 })).toEqual(index.search(q, { k: 25 }));
      expect(await index.searchRadiusAsync(q, { radius: bits / 4, limit: 500 })).toEqual(
        index.searchRadius(q, { radius: bits / 4, limit: 500 }),
      );
    }
  });

  it('sees the index as of the call, while adds and removes continue', async () => {
    const rand = rng(6);
    const bits = 128;
    const db = randomCodes(40000, bits, rand);
    const { index } = build(bits, [db]);
    const q = randomCodes(100, bits, rand);
    const before = index.search(q, { k: 10 });
    const beforeR = index.searchRadius(q, { radius: 50 });
    const pending = [index.searchAsync(q, { k: 10 }), index.searchAsync(q, { k: 10 })];
    const pendingR = index.searchRadiusAsync(q, { radius: 50 });
    // Exact copies of the queries would be at distance 0 and change every answer.
    index.add(q);
    index.remove(Array.from({ length: 20000 }, (_, i) => i));
    for (const p of pending) expect(await p).toEqual(before);
    expect(await pendingR).toEqual(beforeR);
    expect(index.search(q, { k: 1 }).distances.every((d) => d === 0)).toBe(true);
  });
});
