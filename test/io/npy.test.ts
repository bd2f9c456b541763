import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pythonHas } from '../helpers/fixtures.js';
import { NpyRowReader, encodeNpy, parseNpy, readNpy } from '../../src/io/npy.js';
import { fileScratchDir } from '../helpers/temp.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/npy/${name}`, import.meta.url));
const arange = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('npy', () => {
  it('round-trips float32, float64 and uint8 matrices', () => {
    for (const data of [Float32Array.from([1.5, -2, 3, 4, 5, 6]), Float64Array.from([1e-300, 2, 3, 4, 5, 6]), Uint8Array.from([0, 1, 255, 3, 4, 5])]) {
      const back = parseNpy(encodeNpy(data, [2, 3]));
      expect(back.shape).toEqual([2, 3]);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('reads Fortran order, and rejects truncated bodies and unsupported dtypes', () => {
    const buf = Buffer.from(encodeNpy(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
    expect(Array.from(parseNpy(buf).data)).toEqual([1, 3, 5, 2, 4, 6]);
    const whole = encodeNpy(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    expect(() => parseNpy(whole.subarray(0, whole.length - 3), 'x.npy')).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_NPY', message: expect.stringMatching(/x.npy: truncated body/) }));
    const int64 = Buffer.from(whole.toString('latin1').replace('<f4', '<i8'), 'latin1');
    expect(() => parseNpy(int64)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_NPY', message: expect.stringMatching(/unsupported dtype '<i8'/) }));
    expect(() => parseNpy(Buffer.from('not numpy at all'))).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_NPY' }));
  });

  it('reads the committed files numpy wrote: versions 1.0, 2.0 and 3.0, Fortran order, bool, uint8, 1-D', async () => {
    for (const name of ['v1-float32.npy', 'v2-float64.npy', 'v3-float32.npy', 'fortran-float64.npy', 'uint8.npy']) {
      const a = await readNpy(fixture(name));
      expect(a.shape, name).toEqual([3, 4]);
      expect(Array.from(a.data), name).toEqual(arange(12));
      expect(parseNpy(readFileSync(fixture(name))).data).toEqual(a.data);
    }
    expect((await readNpy(fixture('v2-float64.npy'))).dtype).toBe('float64');
    expect(Array.from((await readNpy(fixture('bool.npy'))).data)).toEqual(arange(12).map((i) => (i % 3 === 0 ? 1 : 0)));
    expect(await readNpy(fixture('vector-float32.npy'))).toMatchObject({ shape: [5], data: Float32Array.from(arange(5)) });
    await expect(readNpy(fixture('int64.npy'))).rejects.toMatchObject({ code: 'ERR_ASCMH_NPY', message: expect.stringMatching(/int64\.npy: unsupported dtype '<i8'/) });
    await expect(readNpy(fixture('big-endian.npy'))).rejects.toMatchObject({ code: 'ERR_ASCMH_NPY', message: expect.stringMatching(/'>f8'/) });
    await expect(readNpy(fixture('absent.npy'))).rejects.toMatchObject({ code: 'ERR_ASCMH_FILE', message: expect.stringMatching(/absent\.npy: ENOENT/) });
  });

  it('readNpy rejects every truncation of a file with a coded error', async () => {
    const dir = fileScratchDir('ascmh-npy-');
    const whole = encodeNpy(Float64Array.from(arange(20)), [4, 5]);
    for (const length of [0, 5, 9, 11, 60, 127, 128, 129, whole.length - 1]) {
      const path = join(dir, `cut${length}.npy`);
      writeFileSync(path, whole.subarray(0, length));
      await expect(readNpy(path), `${length} bytes`).rejects.toMatchObject({ code: 'ERR_ASCMH_NPY' });
    }
  });

  it('NpyRowReader reads any row block, of C-order and Fortran-order files', async () => {
    const reader = await NpyRowReader.open(fixture('v2-float64.npy'));
    expect([reader.rows, reader.cols, reader.dtype]).toEqual([3, 4, 'float64']);
    expect(Array.from(await reader.read(1, 2))).toEqual(arange(12).slice(4));
    expect(Array.from(await reader.read(3, 0))).toEqual([]);
    await expect(reader.read(2, 2)).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    await reader.close();
    const vector = await NpyRowReader.open(fixture('vector-float32.npy'));
    expect([vector.rows, vector.cols]).toEqual([5, 1]);
    await vector.close();
    const fortran = await NpyRowReader.open(fixture('fortran-float64.npy'));
    expect([fortran.rows, fortran.cols]).toEqual([3, 4]);
    expect(Array.from(await fortran.read(1, 2))).toEqual(arange(12).slice(4));
    await fortran.close();
  });

  const hasNumpy = pythonHas('numpy');
  it.skipIf(!hasNumpy)('numpy reads what we write (needs python3 with numpy)', () => {
    const dir = fileScratchDir('ascmh-npy-');
    writeFileSync(join(dir, 'a.npy'), encodeNpy(Float32Array.from([0.5, 1, 2, 3, 4, 5]), [2, 3]));
    writeFileSync(join(dir, 'b.npy'), encodeNpy(Uint8Array.from([7, 8, 9]), [3]));
    const out = execFileSync('python3', ['-c', `import numpy as np
a = np.load('${dir}/a.npy'); b = np.load('${dir}/b.npy')
print(a.dtype, a.shape, a.tolist(), b.dtype, b.shape, b.tolist())`], { encoding: 'utf8' });
    expect(out.trim()).toBe('float32 (2, 3) [[0.5, 1.0, 2.0], [3.0, 4.0, 5.0]] uint8 (3,) [7, 8, 9]');
  });
});
