// Index files (issue 10, items 7 and 13). A save that fails leaves the previous file whole: it
// writes a temporary file and renames it. A forged file, checksums recomputed, whose ids repeat or
// whose next automatic id is already taken is refused: before the fix it loaded, and add() then
// made duplicate ids.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HammingIndex } from '../../src/index.js';
import { runScript } from '../helpers/child.js';
import { scratchDir } from '../helpers/temp.js';
import { forgeIndexFile, resealIndexFileV2 } from '../helpers/forge.js';

const codes = (count: number, bits = 64) => ({ count, bits, data: Uint8Array.from({ length: count * Math.ceil(bits / 64) * 8 }, (_, i) => (i * 37) & 255) });

describe('saving an index', () => {
  it('a save that fails (file size limit) keeps the previous index intact and leaves no temporary file', async () => {
    const dir = scratchDir();
    const path = join(dir, 'codes.idx');
    const small = new HammingIndex({ bits: 64 });
    small.add(codes(10));
    small.save(path);
    const before = readFileSync(path);
    // A child with a 64 KiB file-size limit tries to save a 4 MB index over it.
    const r = await runScript(`
      const { HammingIndex } = lib;
      const index = new HammingIndex({ bits: 64 });
      index.add({ count: 500000, bits: 64, data: new Uint8Array(4000000) });
      try { index.save(${JSON.stringify(path)}); print('saved'); } catch (e) { print(e.code); }`,
    { shellPrefix: 'ulimit -f 64;' });
    expect(r.lines.at(-1)).toBe('ERR_ASCMH_IO');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['codes.idx']);
    expect(HammingIndex.load(path).size).toBe(10);
  });

  it('save replaces the file atomically and the new content loads', () => {
    const dir = scratchDir();
    const path = join(dir, 'codes.idx');
    const a = new HammingIndex({ bits: 128 });
    a.add(codes(5, 128));
    a.save(path);
    a.add(codes(7, 128));
    a.save(path);
    expect(HammingIndex.load(path).size).toBe(12);
    expect(readdirSync(dir)).toEqual(['codes.idx']);
  });
});

describe('loading a forged index file', () => {
  it('duplicate ids are refused', () => {
    const dir = scratchDir();
    const path = join(dir, 'forged.idx');
    writeFileSync(path, forgeIndexFile({ bits: 64, codes: new Uint8Array(24), ids: [5n, 9n, 5n], nextAuto: 10n }));
    expect(() => HammingIndex.load(path)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/more than once/) }));
  });

  it('a next automatic id that is already taken is refused', () => {
    const dir = scratchDir();
    const path = join(dir, 'forged.idx');
    writeFileSync(path, forgeIndexFile({ bits: 64, codes: new Uint8Array(16), ids: [0n, 1n], nextAuto: 1n }));
    expect(() => HammingIndex.load(path)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/already taken/) }));
    writeFileSync(path, forgeIndexFile({ bits: 64, codes: new Uint8Array(8), ids: [3n], nextAuto: -1n }));
    expect(() => HammingIndex.load(path)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT' }));
  });

  it('the forger writes files the index reads (so the refusals above are about the ids)', () => {
    const dir = scratchDir();
    const path = join(dir, 'ok.idx');
    writeFileSync(path, forgeIndexFile({ bits: 64, codes: new Uint8Array(24), ids: [7n, 3n, 11n], nextAuto: 12n }));
    const index = HammingIndex.load(path);
    expect(index.size).toBe(3);
    index.add(codes(1));
    expect(index.get(12n)).toBeDefined();
    expect(existsSync(path)).toBe(true);
  });
});

describe('the id map stored in a version 3 file', () => {
  // Header fields (little-endian u64): flags at 32, ids at 72, checksums at 80, file size at 88,
  // the map at 104, its slot count at 112. A slot is a 16-bit fingerprint over 48 bits of
  // (file position + 1); 0 is empty.
  const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));
  const explicitIndex = (count: number) => {
    const index = new HammingIndex({ bits: 64 });
    index.add(codes(count), BigInt64Array.from({ length: count }, (_, i) => BigInt(1000 + 7 * i)));
    return index;
  };
  const slotsOf = (file: Buffer) => ({ at: u64(file, 104), count: u64(file, 112) });

  it('a saved explicit-id index carries the map: after open, remove, get and add need no rebuild and answer as after load', () => {
    const dir = scratchDir();
    const path = join(dir, 'ids.idx');
    // Items removed before the save (their chunk keeps them as dead bits) shift the file
    // positions the map is built over; the open below checks every one.
    const before = explicitIndex(5000);
    before.add(codes(300), BigInt64Array.from({ length: 300 }, (_, i) => BigInt(-1 - i)));
    expect(before.remove(Array.from({ length: 300 }, (_, i) => BigInt(-1 - i)))).toBe(300);
    before.add(codes(10));  // automatic ids: the file stores every id
    expect(before.remove([1000n + 7n * 5n, 1000n + 7n * 6n])).toBe(2);
    before.save(path);
    const back = HammingIndex.open(path, { readonly: false });
    expect(back.remove([1000n + 7n * 7n])).toBe(1);
    expect(back.size).toBe(5000 - 2 + 10 - 1);
    expect(back.get(1000n + 7n * 6n)).toBeUndefined();
    expect(back.get(1000n + 7n * 8n)).toBeDefined();
    explicitIndex(5000).save(path);
    const file = readFileSync(path);
    expect(file.readUInt32LE(8)).toBe(3);
    expect(u64(file, 32)).toBe(3);  // ids and map stored
    const { at, count } = slotsOf(file);
    expect(at % 4096).toBe(0);
    expect(count).toBeGreaterThan(5000);
    let used = 0;
    for (let i = 0; i < count; i++) if (file.readBigUInt64LE(at + 8 * i) !== 0n) used++;
    expect(used).toBe(5000);
    for (const reopen of [() => HammingIndex.open(path, { readonly: false }), () => HammingIndex.load(path)]) {
      const index = reopen();
      expect(index.remove([1000n + 7n * 123n, 5n])).toBe(1);
      // The map is the file's, mapped privately: the remove copied a page of it, not the map.
      if (index.ownedBytes < count * 8) expect(index.ownedBytes).toBeLessThan(count * 8 / 4);
      expect(index.get(1000n + 7n * 123n)).toBeUndefined();
      expect(Array.from(index.get(1000n + 7n * 4999n) ?? [])).toEqual(Array.from(codes(5000).data.subarray(8 * 4999, 8 * 5000)));
      expect(() => index.add(codes(1), [1000n + 7n * 9n])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DUPLICATE_ID' }));
      index.add(codes(1), [1000n + 7n * 123n]);
      expect(index.size).toBe(5000);
    }
  });

  it('a map with removed items behind it (rebuilt since, so no erased slots) is saved as positions that open finds', () => {
    const dir = scratchDir();
    const path = join(dir, 'dead.idx');
    const index = explicitIndex(3000);
    const removed = Array.from({ length: 40 }, (_, i) => 1000n + 7n * BigInt(i * 73 + 5));
    expect(index.remove(removed)).toBe(40);
    // Enough new ids to grow the map: it is rebuilt from the chunks without the removed ones.
    const more = codes(2000);
    index.add(more, BigInt64Array.from({ length: 2000 }, (_, i) => BigInt(-5 - 3 * i)));
    index.save(path);
    const q = codes(5);
    for (const back of [HammingIndex.open(path, { readonly: false }), HammingIndex.load(path)]) {
      expect(back.size).toBe(4960);
      for (const id of removed) expect(back.get(id)).toBeUndefined();
      for (let i = 0; i < 3000; i += 37) {
        const id = 1000n + 7n * BigInt(i);
        if (!removed.includes(id)) expect(Array.from(back.get(id)!)).toEqual(Array.from(codes(3000).data.subarray(8 * i, 8 * i + 8)));
      }
      for (let i = 0; i < 2000; i += 41) expect(Array.from(back.get(BigInt(-5 - 3 * i))!)).toEqual(Array.from(more.data.subarray(8 * i, 8 * i + 8)));
      expect(back.search(q, { k: 50 })).toEqual(index.search(q, { k: 50 }));
      expect(back.remove([1000n + 7n * 2999n, -5n])).toBe(2);
      expect(() => back.add(codes(1), [1000n + 7n * 1n])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DUPLICATE_ID' }));
    }
  });

  it('a damaged or forged map is refused at its first use, by open and by load', () => {
    const dir = scratchDir();
    const path = join(dir, 'ids.idx');
    explicitIndex(3000).save(path);
    const good = readFileSync(path);
    const { at, count } = slotsOf(good);
    const used: number[] = [];
    for (let i = 0; i < count; i++) if (good.readBigUInt64LE(at + 8 * i) !== 0n) used.push(i);
    const low = (b: Buffer, slot: number) => b.readBigUInt64LE(at + 8 * slot) & 0xffffffffffffn;
    const setLow = (b: Buffer, slot: number, v: bigint) => b.writeBigUInt64LE((b.readBigUInt64LE(at + 8 * slot) & ~0xffffffffffffn) | v, at + 8 * slot);
    const forged: [string, (b: Buffer) => void, RegExp][] = [
      ['two locations swapped', (b) => { const x = low(b, used[10]); setLow(b, used[10], low(b, used[20])); setLow(b, used[20], x); }, /does not match/],
      ['a location past the items', (b) => setLow(b, used[5], 3001n + 1n), /damaged/],
      ['an entry dropped', (b) => b.writeBigUInt64LE(0n, at + 8 * used[7]), /damaged/],
      ['an erased slot', (b) => b.writeBigUInt64LE(0xffffffffffffffffn, at + 8 * used[7]), /damaged/],
      ['an entry added', (b) => { const empty = [...Array(count).keys()].find((i) => b.readBigUInt64LE(at + 8 * i) === 0n)!; b.writeBigUInt64LE((1n << 48n) | 1n, at + 8 * empty); }, /damaged/],
      // An id stored twice, its checksums recomputed: the map still has the old id's entry.
      ['an id repeated', (b) => { b.writeBigInt64LE(b.readBigInt64LE(u64(b, 72)), u64(b, 72) + 8 * 2999); }, /does not match|more than once/],
    ];
    for (const [what, damage, message] of forged) {
      const b = Buffer.from(good);
      damage(b);
      writeFileSync(path, resealIndexFileV2(b));
      const opened = HammingIndex.open(path, { readonly: false });  // opening reads no slot
      expect(() => opened.remove([1000n]), what).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(message) }));
      expect(() => opened.get(1007n), what).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT' }));
      expect(() => HammingIndex.load(path), what).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(message) }));
    }
    // A map section of another size than the header's layout allows.
    const b = Buffer.from(good);
    b.writeBigUInt64LE(BigInt(3000), 112);
    writeFileSync(path, resealIndexFileV2(b));
    expect(() => HammingIndex.open(path)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/id map layout/) }));
  });

  it('version 2 files (no map) still open and load; the map is built at first use', () => {
    const dir = scratchDir();
    const path = join(dir, 'ids.idx');
    explicitIndex(2000).save(path);
    const v3 = readFileSync(path);
    // The same file as version 2 wrote it: no map section, the checksums right after the ids.
    const { at, count } = slotsOf(v3);
    const sums = u64(v3, 80), fileBytes = u64(v3, 88);
    const v2 = Buffer.concat([v3.subarray(0, at), v3.subarray(sums, fileBytes)]);
    v2.writeUInt32LE(2, 8);
    v2.writeBigUInt64LE(1n, 32);
    v2.writeBigUInt64LE(BigInt(at), 80);
    v2.writeBigUInt64LE(BigInt(at + fileBytes - sums), 88);
    v2.writeBigUInt64LE(0n, 104);
    v2.writeBigUInt64LE(0n, 112);
    expect(count).toBeGreaterThan(0);
    writeFileSync(path, resealIndexFileV2(v2));
    for (const index of [HammingIndex.open(path, { readonly: false }), HammingIndex.load(path)]) {
      expect(index.size).toBe(2000);
      expect(index.remove([1000n + 7n * 1999n])).toBe(1);
      expect(index.get(1000n + 7n * 1998n)).toBeDefined();
      expect(() => index.add(codes(1), [1000n])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DUPLICATE_ID' }));
    }
    // A version 2 header may not claim a map.
    const claims = Buffer.from(v2);
    claims.writeBigUInt64LE(3n, 32);
    writeFileSync(path, resealIndexFileV2(claims));
    expect(() => HammingIndex.open(path)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/unknown flags/) }));
  });
});
