// Property tests of encoding and training inputs (issue 10): encode and encodeAsync agree with each
// other and with sgn(W^T (phi(x) - mean)) computed naively, for feature rows in every kind of
// buffer and behind getters; malformed input of any kind is a coded error, also when it reaches
// the native functions directly.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASCMH, datasets } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { garbage, hold, holders, isCoded, withGetter } from '../helpers/hostile.js';
import { naiveKernelFeatures } from '../helpers/naive.js';

let model: ASCMH;
const train = datasets.synthetic({ n: 200, imageDim: 12, textDim: 5, seed: 9 });
beforeAll(async () => {
  model = await ASCMH.fit(train, { bits: 40, imageAnchors: 25, textAnchors: 20 });
});

/** Code bits of sgn(W^T (phi(x) - mean)), or undefined where |value| is within rounding of 0. */
function naiveBits(m: ASCMH, modality: 'image' | 'text', X: { rows: number; data: ArrayLike<number> }): (number | undefined)[][] {
  const h = m.hashFunction(modality);
  const phi = naiveKernelFeatures(h, X); // count x rows
  return Array.from({ length: X.rows }, (_, i) => Array.from({ length: m.bits }, (_, j) => {
    let z = 0;
    for (let a = 0; a < h.count; a++) z += h.W[a * m.bits + j] * phi.a[a * X.rows + i];
    return Math.abs(z) < 1e-9 ? undefined : z >= 0 ? 1 : 0;
  }));
}

describe('encode properties', () => {
  it('sync, async and naive codes agree for rows in any buffer', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 25 }), fc.constantFrom('image', 'text'), fc.constantFrom(...holders), fc.boolean(), fc.integer({ min: 1, max: 2 ** 30 }),
      async (rows, modality, holder, single, seed) => {
        const cols = model.dimension(modality);
        let s = seed;
        const values = Array.from({ length: rows * cols }, () => ((s = (Math.imul(s, 48271) + 11) >>> 0) / 4294967296) * 0.3);
        const base = single ? Float32Array.from(values) : Float64Array.from(values);
        let X: { rows: number; cols: number; data: Float32Array | Float64Array } = { rows, cols, data: hold(base, holder === 'getter' ? 'plain' : holder) };
        if (holder === 'getter') X = withGetter(X, 'data');
        const sync = model.encode(modality, X);
        const asyncCodes = await model.encodeAsync(modality, X);
        expect(asyncCodes).toEqual(sync);
        const want = naiveBits(model, modality, { rows, data: base });
        const stride = Math.ceil(model.bits / 64) * 8;
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < model.bits; j++) {
            if (want[i][j] === undefined) continue;
            expect((sync.data[i * stride + (j >> 3)] >> (j & 7)) & 1).toBe(want[i][j]);
          }
      }), { numRuns: 80 });
  });

  it('malformed feature matrices are coded errors in both forms', async () => {
    await fc.assert(fc.asyncProperty(garbage, fc.constantFrom('rows', 'cols', 'data', 'whole'), fc.boolean(), async (value, where, nonFinite) => {
      const cols = model.dimension('image');
      const good = { rows: 3, cols, data: new Float32Array(3 * cols) };
      if (nonFinite) good.data[4] = NaN;
      const X = where === 'whole' ? value : { ...good, [where]: value };
      for (const call of [() => model.encode('image', X as never), () => model.encodeAsync('image', X as never)]) {
        try {
          await call();
          expect(nonFinite).toBe(false);  // only a well-formed finite matrix may be accepted
        } catch (e) {
          expect(isCoded(e), String(e)).toBe(true);
        }
      }
    }), { numRuns: 300 });
  });
});

describe('training input properties', () => {
  it('garbage in any argument of fit, in TS or straight into the native fit, is a coded error', async () => {
    const small = datasets.synthetic({ n: 60, imageDim: 6, textDim: 4, seed: 2 });
    const options = { bits: 8, imageAnchors: 10, textAnchors: 10, iterations: 1 };
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('image', 'text', 'labels', 'options', 'bits', 'imageAnchors', 'iterations', 'seed', 'lambdaImage', 'precision', 'rows'),
      garbage,
      async (where, value) => {
        const data: Record<string, unknown> = { ...small };
        let opts: Record<string, unknown> = { ...options };
        if (where === 'options') opts = value as never;
        else if (where === 'rows') data.image = { ...small.image, rows: value };
        else if (where in options || where === 'seed' || where === 'lambdaImage' || where === 'precision') opts[where] = value;
        else data[where] = value;
        for (const call of [
          () => ASCMH.fit(data as never, opts as never),
          () => native.fit(data.image, data.text, data.labels, opts).promise,
        ]) {
          try {
            await call();
          } catch (e) {
            expect(isCoded(e), `${where}=${String(value)}: ${String(e)}`).toBe(true);
          }
        }
      }), { numRuns: 200 });
  });
});
