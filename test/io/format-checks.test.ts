// Readers and writers that used to accept what they could not honour (issue 10, item 12): a 3-D
// Fortran-order .npy came back in Fortran order; writeCodesFile with fewer bytes than `count`
// codes wrote zeros; readCodesFile took bits of -8, 1.5 or '64'; encodeNpy wrote a header that did
// not match its data, and an Int32Array as uint8.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy, readCodesFile, readNpy, writeCodesFile } from '../../src/index.js';
import { pythonHas } from '../helpers/fixtures.js';
import { scratchDir } from '../helpers/temp.js';

/** A Fortran-order .npy of the given shape whose element at index (i, j, k, ...) is its C-order position. */
function fortranNpy(shape: number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  // Fortran position of each C-order position: first index fastest.
  const cStrides = shape.map((_, j) => shape.slice(j + 1).reduce((a, b) => a * b, 1));
  for (let c = 0; c < count; c++) {
    let f = 0, scale = 1;
    for (let j = 0; j < shape.length; j++) {
      f += (Math.floor(c / cStrides[j]) % shape[j]) * scale;
      scale *= shape[j];
    }
    values[f] = c;
  }
  const header = encodeNpy(values, [count]);
  const text = `{'descr': '<f8', 'fortran_order': True, 'shape': (${shape.join(', ')}), }`.padEnd(header.readUInt16LE(8) - 1, ' ') + '\n';
  const out = Buffer.concat([header.subarray(0, 10), Buffer.from(text, 'latin1'), Buffer.from(values.buffer)]);
  out.writeUInt16LE(text.length, 8);
  return out;
}

describe('.npy', () => {
  for (const shape of [[2, 3, 4], [3, 1, 2, 5], [4, 6], [1, 7, 1], [5]]) {
    it(`a Fortran-order array of shape (${shape}) comes back in C order`, () => {
      const a = parseNpy(fortranNpy(shape));
      expect(a.shape).toEqual(shape);
      expect(Array.from(a.data)).toEqual(Array.from({ length: a.data.length }, (_, i) => i));
    });
  }

  it.skipIf(!pythonHas('numpy'))('numpy agrees on a 3-D Fortran array (needs numpy)', async () => {
    const dir = scratchDir();
    const file = join(dir, 'f.npy');
    execFileSync('python3', ['-c', `import numpy as np; np.save(${JSON.stringify(file)}, np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)))`]);
    const a = await readNpy(file);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('encodeNpy refuses a shape that does not hold the data, and element types it cannot store', () => {
    expect(() => encodeNpy(new Float32Array(6), [2, 4])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    expect(() => encodeNpy(new Float32Array(6), [-2, -3])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    expect(() => encodeNpy(new Float32Array(6), [])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    expect(() => encodeNpy(new Int32Array(6) as never, [6])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DTYPE' }));
    expect(() => encodeNpy(new Float64Array(6) as never, [2.5, 2])).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    const ok = parseNpy(encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]));
    expect(ok.shape).toEqual([2, 3]);
    expect(Array.from(ok.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('code files', () => {
  it('writeCodesFile refuses codes whose data is shorter than count codes, and writes nothing', async () => {
    const dir = scratchDir();
    for (const name of ['c.npy', 'c.bin']) {
      await expect(writeCodesFile(join(dir, name), { count: 10, bits: 64, data: new Uint8Array(40) })).rejects.toMatchObject({ code: 'ERR_ASCMH_CODES_LENGTH' });
    }
    await expect(writeCodesFile(join(dir, 'c.bin'), { count: 1.5, bits: 64, data: new Uint8Array(16) } as never)).rejects.toMatchObject({ code: 'ERR_ASCMH_CODES' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('readCodesFile takes only an integer number of bits from 1 to 65535', async () => {
    const dir = scratchDir();
    const file = join(dir, 'c.bin');
    writeFileSync(file, new Uint8Array(64));
    for (const bits of [-8, 0, 1.5, '64', NaN, 1e6, undefined]) {
      await expect(readCodesFile(file, bits as never)).rejects.toMatchObject({ code: 'ERR_ASCMH_BITS' });
    }
    expect((await readCodesFile(file, 64)).count).toBe(8);
    expect(readFileSync(file).length).toBe(64);
  });
});
