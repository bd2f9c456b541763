import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonHas } from '../helpers/fixtures.js';
import { CodesFileWriter, codesToRows, readCodesFile, rowsToCodes, writeCodesFile } from '../../src/io/codes-file.js';
import { unpackCode } from '../../src/core/matrix.js';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { hamming, randomCodes, rng } from '../helpers/hamming-reference.js';
import { fileScratchDir } from '../helpers/temp.js';

const dir = () => fileScratchDir('ascmh-codes-');

describe('code files', () => {
  it('rows hold bit j of a code in bit j mod 8 of byte j / 8, padding bits zero', () => {
    for (const bits of [8, 12, 24, 64, 70, 128]) {
      const codes = randomCodes(9, bits, rng(bits), 0, false);
      const rows = codesToRows(codes);
      const width = Math.ceil(bits / 8);
      expect(rows.length).toBe(9 * width);
      for (let i = 0; i < 9; i++) {
        const signs = unpackCode(codes, i);
        for (let j = 0; j < width * 8; j++) {
          const bit = (rows[i * width + (j >> 3)] >> (j & 7)) & 1;
          expect(bit).toBe(j < bits && signs[j] === 1 ? 1 : 0);
        }
      }
      const back = rowsToCodes(rows, 9, bits);
      for (let i = 0; i < 9; i++) for (let k = 0; k < 9; k++) expect(hamming(back.data, i, back.data, k, bits)).toBe(hamming(codes.data, i, codes.data, k, bits));
      expect(Array.from(unpackCode(back, 3))).toEqual(Array.from(unpackCode(codes, 3)));
    }
  });

  it('round-trips through .npy and raw files', async () => {
    const d = dir();
    const codes = randomCodes(50, 40, rng(1));
    for (const name of ['c.npy', 'c.bin']) {
      await writeCodesFile(join(d, name), codes);
      const back = await readCodesFile(join(d, name), 40);
      expect(back.count).toBe(50);
      expect(Buffer.from(codesToRows(back)).equals(Buffer.from(codesToRows(codes)))).toBe(true);
    }
    const npy = await readNpy(join(d, 'c.npy'));
    expect(npy).toMatchObject({ dtype: 'uint8', shape: [50, 5] });
    expect(readFileSync(join(d, 'c.bin')).length).toBe(250);
  });

  it('refuses files of another code length or dtype, with the file named', async () => {
    const d = dir();
    await writeCodesFile(join(d, 'c.npy'), randomCodes(4, 64, rng(2)));
    await expect(readCodesFile(join(d, 'c.npy'), 32)).rejects.toMatchObject({ code: 'ERR_ASCMH_BITS_MISMATCH', message: expect.stringMatching(/c\.npy: rows of 8 bytes \(64-bit codes\)/) });
    writeFileSync(join(d, 'f.npy'), encodeNpy(new Float32Array(8), [2, 4]));
    await expect(readCodesFile(join(d, 'f.npy'), 32)).rejects.toMatchObject({ code: 'ERR_ASCMH_CODES_FILE' });
    writeFileSync(join(d, 'odd.bin'), Buffer.alloc(10));
    await expect(readCodesFile(join(d, 'odd.bin'), 32)).rejects.toMatchObject({ code: 'ERR_ASCMH_CODES_FILE' });
    await expect(readCodesFile(join(d, 'none.bin'), 32)).rejects.toMatchObject({ code: 'ERR_ASCMH_FILE' });
  });

  it('a writer that does not get every announced code leaves no file', async () => {
    const d = dir();
    const writer = await CodesFileWriter.create(join(d, 'part.npy'), 10, 16);
    await writer.write(randomCodes(4, 16, rng(3)));
    await expect(writer.commit()).rejects.toMatchObject({ code: 'ERR_ASCMH_CODES_LENGTH' });
    expect(readdirSync(d)).toEqual([]);
  });

  const hasFaiss = pythonHas('faiss, numpy');
  it.skipIf(!hasFaiss)('FAISS IndexBinaryFlat takes raw files as they are (needs python3 with faiss)', async () => {
    const d = dir();
    const bits = 48;
    const db = randomCodes(300, bits, rng(4));
    const q = randomCodes(5, bits, rng(5));
    await writeCodesFile(join(d, 'db.bin'), db);
    await writeCodesFile(join(d, 'q.bin'), q);
    const out = execFileSync('python3', ['-c', `import faiss, numpy as np, json
db = np.fromfile('${d}/db.bin', np.uint8).reshape(-1, 6); q = np.fromfile('${d}/q.bin', np.uint8).reshape(-1, 6)
index = faiss.IndexBinaryFlat(48); index.add(db); D, I = index.search(q, 300)
print(json.dumps(D.tolist()))`], { encoding: 'utf8' });
    const distances: number[][] = JSON.parse(out);
    for (let i = 0; i < 5; i++) {
      const expected = Array.from({ length: 300 }, (_, k) => hamming(q.data, i, db.data, k, bits)).sort((a, b) => a - b);
      expect(distances[i]).toEqual(expected);
    }
  });
});
