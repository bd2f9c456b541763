// The BLAS/LAPACK wrappers against naive implementations on small random matrices.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/core/native.js';
import { at, identity, mat, maxAbs, maxAbsDiff, mul, randomMat, solve, symmetricEigenvalues, t } from '../helpers/naive.js';

const L = native._internal;

describe('gemm', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matches a naive product (transA=${ta}, transB=${tb})`, () => {
      const [m, n, k] = [7, 5, 9];
      const A = randomMat(ta ? k : m, ta ? m : k, 1), B = randomMat(tb ? n : k, tb ? k : n, 2);
      const expected = mul(ta ? t(A) : A, tb ? t(B) : B);
      expect(maxAbsDiff(L.gemm(ta, tb, m, n, k, A.a, B.a), expected.a)).toBeLessThan(1e-12);
    });
  }
});

describe('syrk', () => {
  it('A^T A and A A^T with both triangles filled', () => {
    const A = randomMat(11, 6, 3);
    expect(maxAbsDiff(L.syrk(true, 6, 11, A.a), mul(t(A), A).a)).toBeLessThan(1e-12);
    expect(maxAbsDiff(L.syrk(false, 11, 6, A.a), mul(A, t(A)).a)).toBeLessThan(1e-12);
  });
});

describe('gesvd', () => {
  it('reconstructs A with orthonormal factors and the singular values of A^T A', () => {
    const [m, n] = [8, 5];
    const A = randomMat(m, n, 4);
    const { S, U, VT } = L.gesvd(m, n, A.a);
    const US = { rows: m, cols: n, a: Float64Array.from(U, (v: number, i: number) => v * S[i % n]) };
    expect(maxAbsDiff(mul(US, { rows: n, cols: n, a: VT }).a, A.a)).toBeLessThan(1e-12);
    const Um = { rows: m, cols: n, a: U };
    expect(maxAbsDiff(mul(t(Um), Um).a, identity(n).a)).toBeLessThan(1e-12);
    const eig = symmetricEigenvalues(mul(t(A), A)).reverse();
    expect(maxAbsDiff(Array.from(S, (s: number) => s * s), eig)).toBeLessThan(1e-10);
  });
});

describe('syevd', () => {
  it('A v = w v, ascending, orthonormal vectors', () => {
    const n = 6;
    const R = randomMat(n, n, 5);
    const A = mul(R, t(R));
    const { values, vectors } = L.syevd(n, A.a);
    expect(maxAbsDiff(values, symmetricEigenvalues(A))).toBeLessThan(1e-12);
    const Vm = { rows: n, cols: n, a: vectors };
    const AV = mul(A, Vm);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(at(AV, i, j) - values[j] * at(Vm, i, j))).toBeLessThan(1e-12);
    expect(maxAbsDiff(mul(t(Vm), Vm).a, identity(n).a)).toBeLessThan(1e-12);
  });
});

describe('pivoted Cholesky', () => {
  it('factors a positive semi-definite matrix of lower rank: P^T A P = U^T U, and finds the rank', () => {
    const n = 7, rank = 4;
    const X = randomMat(n, rank, 11);
    const A = mul(X, t(X)); // rank 4
    const { U, order, rank: found } = L.pivotedCholesky(n, A.a);
    expect(found).toBe(rank);
    expect([...order].sort((a: number, b: number) => a - b)).toEqual([...Array(n).keys()]);
    const Um = mat(n, n, U);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(at(Um, i, j)).toBe(0);
    const PAP = mat(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) PAP.a[i * n + j] = at(A, order[i], order[j]);
    const top = mat(rank, n, U.slice(0, rank * n)); // the rows past the rank do not contribute
    expect(maxAbsDiff(mul(t(top), top).a, PAP.a) / maxAbs(A.a)).toBeLessThan(1e-12);
  });
});

for (const name of ['posv', 'posvInPlace'] as const) {
  describe(name, () => {
    it('solves an SPD system like Gaussian elimination', () => {
      for (const [n, nrhs] of [[6, 3], [37, 5], [9, 1]]) {
        const R = randomMat(n, n, 6 + n);
        const A = mul(R, t(R));
        for (let i = 0; i < n; i++) A.a[i * n + i] += 1;
        const B = randomMat(n, nrhs, 7 + n);
        expect(maxAbsDiff(L[name](n, nrhs, A.a, B.a), solve(A, B).a)).toBeLessThan(1e-9);
      }
    });
    it('turns a LAPACK failure into an error with a stable code', () => {
      const A = Float64Array.from([1, 2, 2, 1]); // indefinite
      expect(() => L[name](2, 1, A, Float64Array.from([1, 1]))).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_LAPACK_NOT_POSITIVE_DEFINITE' }));
    });
  });
}
