// linalg/code_products.h (B F and B B^T kept current while the codes B change, SCRATCH's Gram-space
// iteration) and the SPD solve with a kept factor (SpdFactor), against direct computations.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/core/native.js';
import { type Mat, identity, add, mat, maxAbs, maxAbsDiff, mul, randomMat, t } from '../helpers/naive.js';

const L = native._internal;

/** A sequence of r x n code matrices: random +-1 (with a few 0s), then each step flips `share` of the entries. */
function codeSteps(r: number, n: number, steps: number, share: number, seed: number): Float64Array[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const first = Float64Array.from({ length: r * n }, () => { const u = rand(); return u < 0.05 ? 0 : u < 0.52 ? -1 : 1; });
  const out = [first];
  for (let k = 1; k < steps; k++) {
    const next = Float64Array.from(out[k - 1]);
    for (let i = 0; i < next.length; i++) if (rand() < share) next[i] = next[i] === 1 ? -1 : 1;
    out.push(next);
  }
  return out;
}

function run(r: number, n: number, p: number, steps: Float64Array[], limit: number, seed: number) {
  const F = randomMat(n, p, seed);
  const all = new Float64Array(steps.length * r * n);
  steps.forEach((b, k) => all.set(b, k * r * n));
  return { F, got: L.codeProducts(r, n, p, F.a, steps.length, all, limit) as { BF: Float64Array; BBt: Float64Array; values: Float64Array; changed: number; incremental: boolean }[] };
}

describe('CodeProducts: B F and B B^T after every update equal the direct products', () => {
  for (const [limit, share] of [[0, 0.02], [1, 0.02], [1, 0.4], [0.05, 0.02], [0.05, 0.3]] as const) {
    it(`incremental limit ${limit}, ${share * 100}% of the entries flip per step`, () => {
      const r = 7, n = 53, p = 11;
      const steps = codeSteps(r, n, 5, share, 3 + r + Math.round(share * 100));
      const { F, got } = run(r, n, p, steps, limit, 17);
      steps.forEach((b, k) => {
        const B = mat(r, n, b);
        const BF = mul(B, F), BBt = mul(B, t(B));
        expect(maxAbsDiff(got[k].BF, BF.a)).toBeLessThan(1e-12 * Math.max(1, maxAbs(BF.a)));
        expect(Array.from(got[k].BBt)).toEqual(Array.from(BBt.a)); // integers: exact in any order
        expect(Array.from(got[k].values)).toEqual(Array.from(b));
        const changed = k === 0 ? b.filter((v) => v !== 0).length : b.filter((v, i) => v !== steps[k - 1][i]).length;
        expect(got[k].changed).toBe(changed);
        // The first update is always direct; later ones are incremental while within the limit.
        const share_k = changed / (r * n);
        expect(got[k].incremental).toBe(k > 0 && share_k <= limit);
      });
    });
  }

  it('an entry changed from 0 (sign 0) to +-1 and back updates B B^T exactly', () => {
    const r = 3, n = 4, p = 2;
    const b0 = Float64Array.from([0, 1, -1, 1, 1, 0, 1, -1, -1, -1, 0, 1]);
    const b1 = Float64Array.from(b0); b1[0] = 1; b1[5] = -1;
    const b2 = Float64Array.from(b1); b2[0] = 0;
    const { F, got } = run(r, n, p, [b0, b1, b2], 1, 5);
    [b0, b1, b2].forEach((b, k) => {
      const B = mat(r, n, b);
      expect(Array.from(got[k].BBt)).toEqual(Array.from(mul(B, t(B)).a));
      expect(maxAbsDiff(got[k].BF, mul(B, F).a)).toBeLessThan(1e-13);
    });
  });
});

describe('SpdFactor: A^{-1} B with a Cholesky factor kept', () => {
  it('solves against a Gaussian-elimination reference', () => {
    const n = 23, nrhs = 5;
    const X = randomMat(n, n + 4, 8);
    const A: Mat = add(mul(X, t(X)), identity(n), 0.5);
    const B = randomMat(n, nrhs, 9);
    const got = mat(n, nrhs, L.spdSolve(n, nrhs, A.a, B.a));
    expect(maxAbsDiff(mul(A, got).a, B.a)).toBeLessThan(1e-10);
  });
});
