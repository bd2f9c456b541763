// model.project / projectAsync on every trainer: the real-valued projections before the sign.
// They equal the hash function computed naively (kernel features, W, and SCRATCH's rotation), and
// their sign under the model's threshold rule is encode()'s code bit for bit, on both encode paths
// (small batches without BLAS, large ones with it) and in both precisions.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METHODS, type Matrix, type Method, type Modality, loadModel, train } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { smallSet } from '../helpers/fixtures.js';
import { naiveFeatures } from '../helpers/naive-baselines.js';
import { thrown } from '../helpers/naive.js';
import { scratchDir } from '../helpers/temp.js';

const data = smallSet(300, 4);
// DDASH's hash functions are networks: no anchors, and a few iterations keep the test short.
const opts = (method: Method, extra: Record<string, unknown>) =>
  method === 'ddash' ? { bits: 40, iterations: 2, ...extra } : { bits: 40, imageAnchors: 30, textAnchors: 25, ...extra };
const fit = (method: Method, extra: Record<string, unknown> = {}) => train(method, data, opts(method, extra) as never);
const KERNEL_METHODS = METHODS.filter((m) => m !== 'ddash');

/** Bits of sign(z) under the threshold rule, packed as encode() packs them. */
function signsOf(z: Matrix, strict: boolean): Uint8Array {
  const stride = Math.ceil(z.cols / 64) * 8, out = new Uint8Array(z.rows * stride);
  for (let i = 0; i < z.rows; i++)
    for (let j = 0; j < z.cols; j++) {
      const v = z.data[i * z.cols + j];
      if (strict ? v > 0 : v >= 0) out[i * stride + (j >> 3)] |= 1 << (j & 7);
    }
  return out;
}

const rowsOf = (X: Matrix, n: number): Matrix => ({ rows: n, cols: X.cols, data: X.data.subarray(0, n * X.cols) });

describe.each(KERNEL_METHODS)('projections of the kernel method %s', (method) => {
  it('equal the hash function computed naively (kernel features, W, rotation)', async () => {
    const m = await fit(method);
    for (const modality of ['image', 'text'] as Modality[]) {
      const X = rowsOf(data[modality], 90);
      const h = m.hashFunction!(modality);
      const phi = naiveFeatures(h, X);
      const z = m.project(modality, X);
      expect(z).toMatchObject({ rows: 90, cols: 40 });
      let worst = 0, scale = 0;
      for (let i = 0; i < 90; i++) {
        const w = Array.from({ length: 40 }, (_, j) => {
          let s = 0;
          for (let a = 0; a < h.count; a++) s += phi.a[i * h.count + a] * h.W[a * 40 + j];
          return s;
        });
        const want = h.rotation ? w.map((_, j) => w.reduce((s, v, a) => s + h.rotation![j * 40 + a] * v, 0)) : w;
        for (let j = 0; j < 40; j++) {
          worst = Math.max(worst, Math.abs(z.data[i * 40 + j] - want[j]));
          scale = Math.max(scale, Math.abs(want[j]));
        }
      }
      expect(worst).toBeLessThan(1e-9 * scale);
    }
  });

});

describe.each(METHODS)('projections of %s', (method) => {
  for (const precision of ['float64', 'float32'] as const) {
    it(`sign(projection) is encode() bit for bit, sync and async, small and large batches (${precision})`, async () => {
      const m = await fit(method, { precision });
      const strict = (m.hashFunction?.('image').threshold ?? 'nonnegative') === 'positive';
      expect(strict).toBe(method === 'batch');
      for (const modality of ['image', 'text'] as Modality[]) {
        for (const n of [1, 17, 64, 65, 300]) {
          const X = rowsOf(data[modality], n);
          const z = m.project(modality, X);
          expect(z.data).toBeInstanceOf(precision === 'float64' ? Float64Array : Float32Array);
          expect(z.data.length).toBe(n * 40);
          const codes = m.encode(modality, X);
          expect(Buffer.from(signsOf(z, strict)).equals(Buffer.from(codes.data))).toBe(true);
          const za = await m.projectAsync(modality, X);
          expect(za).toEqual(z);
        }
      }
    });
  }

  it('a loaded model projects the same; no rows give an empty matrix', async () => {
    const m = await fit(method, { seed: 3 });
    const path = join(scratchDir(), 'm.ascmh');
    await m.save(path);
    const back = await loadModel(path);
    expect(back.project('text', data.text)).toEqual(m.project('text', data.text));
    const none = m.project('image', { rows: 0, cols: data.image.cols, data: new Float32Array(0) });
    expect(none).toMatchObject({ rows: 0, cols: 40 });
    expect(none.data.length).toBe(0);
  });

  it('bad input is a coded error, sync and async', async () => {
    const m = await fit(method);
    const nan = Float32Array.from(data.image.data);
    nan[5 * data.image.cols + 1] = NaN;
    const cases: [unknown, unknown, string][] = [
      ['audio', data.image, 'ERR_ASCMH_MODALITY'],
      ['image', data.text, 'ERR_ASCMH_SHAPE'],
      ['image', { ...data.image, data: nan }, 'ERR_ASCMH_NON_FINITE'],
      ['text', { rows: 2, cols: data.text.cols, data: new Uint8Array(2 * data.text.cols) }, 'ERR_ASCMH_DTYPE'],
      ['text', null, 'ERR_ASCMH_NOT_MATRIX'],
    ];
    for (const [modality, X, code] of cases) {
      expect(thrown(() => m.project(modality as Modality, X as Matrix))).toMatchObject({ code });
      await expect(m.projectAsync(modality as Modality, X as Matrix)).rejects.toMatchObject({ code });
    }
    expect(thrown(() => m.project('image', { ...data.image, data: nan }))).toMatchObject({ message: expect.stringMatching(/image .*row 5, column 1/) });
  });
});

describe('the threshold rule of the native encoder', () => {
  it("a projection of exactly 0 is bit 1 with 'nonnegative' and bit 0 with 'positive'", async () => {
    // A hash function with W = 0: every projection is exactly 0.
    const spec = (threshold: string) => ({
      bits: 12, count: 2, dim: 3, sigma: 1, anchors: new Float64Array(6), mean: new Float64Array(2), W: new Float64Array(24), threshold,
    });
    const X = { rows: 3, cols: 3, data: new Float64Array([0.1, 0.2, 0.3, 1, 2, 3, -1, 0, 1]) };
    for (const [threshold, byte] of [['nonnegative', 0xff], ['positive', 0]] as const) {
      const encoder = new native.Encoder(spec(threshold));
      expect(Array.from(encoder.project(X))).toEqual(new Array(36).fill(0));
      expect(Array.from(await encoder.projectAsync(X))).toEqual(new Array(36).fill(0));
      const codes = encoder.encode(X) as Uint8Array;
      for (let i = 0; i < 3; i++) expect([codes[i * 8], codes[i * 8 + 1] & 0x0f]).toEqual([byte, byte & 0x0f]);
    }
  });
});
