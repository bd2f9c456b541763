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
import { forgeIndexFile } from '../helpers/forge.js';

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
