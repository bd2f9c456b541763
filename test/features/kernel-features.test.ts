// RBF kernel features against the direct formula, for dense inputs and for sparse ones (which
// take a separate path).
import { describe, expect, it } from 'vitest';
import { datasets } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { maxAbsDiff, naiveKernelFeatures, t } from '../helpers/naive.js';

/** A kernel on the first `count` rows as anchors, with an arbitrary width and mean. */
function spec(X: { cols: number; data: Float32Array }, count: number) {
  return { count, dim: X.cols, anchors: Float64Array.from(X.data.subarray(0, count * X.cols)), sigma: 1.3, mean: Float64Array.from({ length: count }, (_, j) => 0.01 * j) };
}

describe('rbf features', () => {
  for (const [name, sparse, make] of [
    ['dense inputs', false, () => datasets.synthetic({ n: 300, imageDim: 40, textDim: 8, seed: 3 }).image],
    ['sparse bag-of-words inputs', true, () => datasets.nusWideLike({ n: 300, concepts: 10, seed: 3 }).text],
  ] as const) {
    it(`match exp(-||x - a||^2 / (2 sigma^2)) - mean for ${name}`, () => {
      const X = make() as { rows: number; cols: number; data: Float32Array };
      const h = spec(X, 25);
      const before: number = native._internal.sparseDistanceBlocks();
      const got: Float64Array = native._internal.rbfFeatures(h, X);
      expect(native._internal.sparseDistanceBlocks() - before).toBe(sparse ? 1 : 0);
      const expected = t(naiveKernelFeatures(h, X)); // n x k
      expect(maxAbsDiff(got, expected.a)).toBeLessThan(1e-12);
    });
  }
  it('the AVX2 and the baseline exp loops give bit-identical features', () => {
    const X = datasets.synthetic({ n: 200, imageDim: 30, textDim: 8, seed: 4 }).image;
    const h = { ...spec(X, 37), sigma: 0.4 }; // narrow: values over many orders of magnitude
    expect(native._internal.setFeatureKernel('baseline')).toBe(true);
    try {
      const baseline: Float64Array = native._internal.rbfFeatures(h, X);
      expect(maxAbsDiff(baseline, t(naiveKernelFeatures(h, X)).a)).toBeLessThan(1e-12);
      if (native._internal.setFeatureKernel('avx2')) {
        const avx2: Float64Array = native._internal.rbfFeatures(h, X);
        expect(Buffer.from(avx2.buffer).equals(Buffer.from(baseline.buffer))).toBe(true);
      } else {
        console.warn('this CPU has no AVX2: only the baseline loop was checked');
      }
    } finally {
      native._internal.setFeatureKernel('avx2') || native._internal.setFeatureKernel('baseline');
    }
    expect(native._internal.setFeatureKernel('sse9')).toBe(false);
  });
});
