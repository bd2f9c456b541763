// HammingIndex.open maps a saved (version 2) file: the same answers as load, writes refused unless
// asked for, and damage found by the first read of a damaged block, before any result from it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HammingIndex } from '../../src/index.js';
import { forgeIndexFile, resealIndexFileV2 } from '../helpers/forge.js';
import { randomCodes, rng } from '../helpers/hamming-reference.js';
import { thrown } from '../helpers/naive.js';
import { scratchDir } from '../helpers/temp.js';

function saved(bits: number, count: number, explicit: boolean) {
  const dir = scratchDir();
  const path = join(dir, 'codes.idx');
  const rand = rng(bits + count);
  const index = new HammingIndex({ bits });
  const codes = randomCodes(count, bits, rand, Math.max(1, count >> 3));
  if (explicit) index.add(codes, Array.from({ length: count }, (_, i) => BigInt(i * 7 + 3)));
  else index.add(codes);
  index.save(path);
  return { path, index, queries: randomCodes(9, bits, rand) };
}

const header = { codes: 4096 };

/** splitmix64's finaliser over id + golden ratio: the id map's hash (index/id_map.h). */
function idMapHash(id: bigint): bigint {
  const M = (1n << 64n) - 1n;
  let x = (BigInt.asUintN(64, id) + 0x9e3779b97f4a7c15n) & M;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M;
  return x ^ (x >> 31n);
}

describe('HammingIndex.open (mapped)', () => {
  for (const [bits, count, explicit] of [[64, 3000, false], [128, 70000, true], [200, 513, true], [17, 2000, false]] as const) {
    it(`answers as load does: ${count} x ${bits} bits, ${explicit ? 'explicit' : 'automatic'} ids`, async () => {
      const { path, index, queries } = saved(bits, count, explicit);
      const mapped = HammingIndex.open(path);
      const loaded = HammingIndex.load(path);
      expect(mapped.size).toBe(count);
      expect(mapped.bits).toBe(bits);
      expect(mapped.search(queries, { k: 25 })).toEqual(index.search(queries, { k: 25 }));
      expect(await mapped.searchAsync(queries, { k: 25 })).toEqual(loaded.search(queries, { k: 25 }));
      expect(mapped.searchRadius(queries, { radius: Math.floor(bits / 3) })).toEqual(index.searchRadius(queries, { radius: Math.floor(bits / 3) }));
      // A mapped index owns almost nothing: the codes stay in the page cache.
      expect(mapped.ownedBytes).toBeLessThan(loaded.ownedBytes / 4 + 4096);
      const id = explicit ? 3n + 7n * 11n : 11n;
      expect(mapped.get(id)).toEqual(index.get(id));
    });
  }

  it('is read-only unless asked otherwise; writes then stay in memory and the file is unchanged', () => {
    const { path, queries } = saved(64, 500, false);
    const before = readFileSync(path);
    const ro = HammingIndex.open(path);
    expect(thrown(() => ro.add(queries))).toMatchObject({ code: 'ERR_ASCMH_READONLY' });
    expect(thrown(() => ro.remove([1]))).toMatchObject({ code: 'ERR_ASCMH_READONLY' });
    const rw = HammingIndex.open(path, { readonly: false });
    rw.add(queries);
    expect(rw.remove([0, 1, 2, 400])).toBe(4);
    expect(rw.size).toBe(500 + 9 - 4);
    expect(rw.search(queries, { k: 1 }).distances.every((d) => d === 0)).toBe(true);
    expect(readFileSync(path).equals(before)).toBe(true);
    const copy = join(path + '-copy');
    rw.save(copy);
    expect(HammingIndex.load(copy).size).toBe(505);
  });

  it('a damaged block of codes: open succeeds, the first search that reads it fails, and so does load', async () => {
    const { path, queries } = saved(128, 70000, false);
    const file = readFileSync(path);
    file[header.codes + 16 * 68000 + 3] ^= 0x40; // item 68000 lies in the second block
    writeFileSync(path, file);
    const mapped = HammingIndex.open(path);
    expect(mapped.size).toBe(70000);
    expect(thrown(() => mapped.search(queries, { k: 3 }))).toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/block 1/) });
    await expect(mapped.searchAsync(queries, { k: 3 })).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT' });
    expect(thrown(() => HammingIndex.load(path))).toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT' });
  });

  it('a damaged block of ids fails the search that would return one of them', () => {
    const { path, queries } = saved(64, 3000, true);
    const file = readFileSync(path);
    const idsAt = Number(file.readBigUInt64LE(72));
    file[idsAt + 8 * 100] ^= 1;
    writeFileSync(path, file);
    const mapped = HammingIndex.open(path);
    expect(thrown(() => mapped.search(queries, { k: 3000 }))).toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/ids of block 0/) });
  });

  it('forged files with valid checksums: bits above the code length, or a next automatic id taken, are refused', () => {
    const { path, queries } = saved(40, 1000, false);
    const file = readFileSync(path);
    file[header.codes + 8 * 10 + 6] |= 0x80; // bit 55 of a 40-bit code
    writeFileSync(path, resealIndexFileV2(file));
    const mapped = HammingIndex.open(path);
    expect(thrown(() => mapped.search(queries, { k: 1 }))).toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/beyond the code width/) });
    const ids = saved(64, 100, true);
    const f2 = readFileSync(ids.path);
    f2.writeBigInt64LE(5n, 24); // next automatic id below the largest id
    writeFileSync(ids.path, resealIndexFileV2(f2));
    expect(thrown(() => HammingIndex.load(ids.path))).toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/already taken/) });
    expect(thrown(() => HammingIndex.open(ids.path, { readonly: false }).add({ count: 1, bits: 64, data: new Uint8Array(8) }))).toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT' });
  });

  it('300,000 explicit ids: the id map built after open (by every pool thread at once) finds each one; a duplicate is refused', () => {
    const count = 300000, bits = 64;
    const dir = scratchDir();
    const path = join(dir, 'many.idx');
    const rand = rng(11);
    // Distinct ids spread over the whole int64 range, so their hashes land in every share of the map,
    // led by ids whose home slots crowd the last slots of the first share and of the table, so that
    // probes run past a share's end (and wrap around). White box: the map's hash, its capacity at
    // load 0.55 and two shares (this machine's pool) are those of index/id_map.h.
    const seen = new Set<bigint>();
    const ids: bigint[] = [];
    const capacity = BigInt(Math.ceil(count / 0.55));
    const crowded = [capacity / 2n, capacity];
    const counts = [0, 0];
    for (let id = 1n; counts[0] < 60 || counts[1] < 60; id++) {
      const home = (idMapHash(id) * capacity) >> 64n;
      crowded.forEach((end, c) => {
        if (home < end && home >= end - 30n && counts[c] < 60) (counts[c]++, seen.add(id), ids.push(id));
      });
    }
    while (ids.length < count) {
      const id = BigInt.asIntN(64, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)));
      if (!seen.has(id)) (seen.add(id), ids.push(id));
    }
    const codes = randomCodes(count, bits, rand);
    const index = new HammingIndex({ bits });
    index.add(codes, ids);
    index.save(path);
    const mapped = HammingIndex.open(path, { readonly: false });
    for (let i = 0; i < count; i++) {
      const got = mapped.get(ids[i]);
      if (!got || !got.every((b, j) => b === codes.data[i * 8 + j])) throw new Error(`id ${ids[i]} (item ${i}) not found with its code`);
    }
    let absent = 12345n;
    while (seen.has(absent)) absent++;
    expect(mapped.get(absent)).toBeUndefined();
    expect(mapped.remove(ids.filter((_, i) => i % 97 === 0))).toBe(Math.ceil(count / 97));
    expect(mapped.size).toBe(count - Math.ceil(count / 97));
    expect(mapped.get(ids[97])).toBeUndefined();
    expect(mapped.get(ids[98])).toBeDefined();
    // The same file with the last id made a copy of the fifth: the parallel build must notice.
    const file = readFileSync(path);
    const idsAt = Number(file.readBigUInt64LE(72));
    file.writeBigInt64LE(ids[4], idsAt + 8 * (count - 1));
    writeFileSync(path, resealIndexFileV2(file));
    expect(thrown(() => HammingIndex.open(path, { readonly: false }).remove([ids[7]]))).toMatchObject({
      code: 'ERR_ASCMH_INDEX_CORRUPT',
      message: expect.stringMatching(/more than once/),
    });
  });

  it('version 1 files still open (read whole) and load', () => {
    const dir = scratchDir();
    const path = join(dir, 'v1.idx');
    writeFileSync(path, forgeIndexFile({ bits: 64, codes: new Uint8Array(24).fill(7), ids: [1n, 5n, 9n], nextAuto: 10n }));
    expect(HammingIndex.open(path).size).toBe(3);
    expect(HammingIndex.load(path).get(5n)).toEqual(new Uint8Array(8).fill(7));
  });

  it('missing, truncated, foreign files and bad options are coded errors', () => {
    const { path } = saved(64, 100, false);
    expect(thrown(() => HammingIndex.open(path + '.none'))).toMatchObject({ code: 'ERR_ASCMH_IO' });
    const file = readFileSync(path);
    writeFileSync(path, file.subarray(0, file.length - 9));
    expect(thrown(() => HammingIndex.open(path))).toMatchObject({ code: 'ERR_ASCMH_INDEX_TRUNCATED' });
    writeFileSync(path, Buffer.from('not an index at all'));
    expect(thrown(() => HammingIndex.open(path))).toMatchObject({ code: 'ERR_ASCMH_INDEX_FORMAT' });
    expect(thrown(() => HammingIndex.open(path, { readonly: 'yes' } as never))).toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });
});
