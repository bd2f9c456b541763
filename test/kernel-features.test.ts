// RBF kernel features against the direct formula, for dense inputs and for sparse ones (which
// take a separate path).
import { describe, expect, it } from 'vitest';
import { datasets } from '../src/index.js';
import { native } from '../src/native.js';
import { maxAbsDiff, naiveKernelFeatures, t } from './naive.js';

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
});
