// CSMH's closed-form pieces of linalg/solvers.h against direct small-case computations: the
// generalised eigenproblem K U = Q U Theta with Q = lambda I + s A A^T, and the Sylvester equation
// K W P + Q W = RHS solved in its eigenbasis.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/core/native.js';
import { type Mat, add, identity, mat, maxAbs, maxAbsDiff, mul, randomMat, scale, solve, symmetricEigenvalues, t } from '../helpers/naive.js';

const L = native._internal;
const relErr = (x: Mat, y: Mat) => maxAbsDiff(x.a, y.a) / Math.max(1e-300, maxAbs(y.a));

/** Upper Cholesky factor R (Q = R^T R) by the textbook recurrence. */
function cholesky(Q: Mat): Mat {
  const n = Q.rows, R = mat(n, n);
  for (let j = 0; j < n; j++) {
    let d = Q.a[j * n + j];
    for (let k = 0; k < j; k++) d -= R.a[k * n + j] ** 2;
    R.a[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = Q.a[j * n + i];
      for (let k = 0; k < j; k++) s -= R.a[k * n + j] * R.a[k * n + i];
      R.a[j * n + i] = s / R.a[j * n + j];
    }
  }
  return R;
}

function setup(k: number, p: number, seed: number, lambda: number, s: number) {
  const X = randomMat(k, 2 * k + 3, seed);
  const K = mul(X, t(X));
  const A = randomMat(k, p, seed + 1);
  const Q = add(scale(identity(k), lambda), scale(mul(A, t(A)), s));
  return { K, A, Q };
}

describe('ridgeLowrankEigen: K U = Q U diag(theta), U^T Q U = I for Q = lambda I + s A A^T', () => {
  for (const [k, p, lambda, s] of [[12, 3, 0.3, 2], [9, 11, 0.1, 50], [7, 2, 1, 0], [10, 0, 0.5, 3]] as const) {
    it(`k ${k}, p ${p}, lambda ${lambda}, s ${s}`, () => {
      const { K, A, Q } = setup(k, p, 40 + k + p, lambda, s);
      const { U: u, theta } = L.ridgeLowrankEigen(k, K.a, lambda, p, A.a, s);
      const U = mat(k, k, u), Th = mat(k, k);
      for (let i = 0; i < k; i++) Th.a[i * k + i] = theta[i];
      expect(relErr(mul(K, U), mul(mul(Q, U), Th))).toBeLessThan(1e-10);
      expect(maxAbsDiff(mul(mul(t(U), Q), U).a, identity(k).a)).toBeLessThan(1e-10);
      for (let i = 1; i < k; i++) expect(theta[i]).toBeGreaterThanOrEqual(theta[i - 1]);
      // The eigenvalues of R^{-T} K R^{-1} (Q = R^T R), found by Jacobi rotations.
      const R = cholesky(Q), Ri = solve(R, identity(k));
      const direct = symmetricEigenvalues(mul(mul(t(Ri), K), Ri));
      expect(maxAbsDiff(theta, direct) / Math.max(...direct)).toBeLessThan(1e-10);
    });
  }
  it('the extreme generalised eigenvalues bound the Rayleigh quotient u^T K u / u^T Q u, attained by the eigenvectors', () => {
    const k = 10, { K, A, Q } = setup(k, 4, 7, 0.2, 5);
    const { U: u, theta } = L.ridgeLowrankEigen(k, K.a, 0.2, 4, A.a, 5);
    const quotient = (v: Mat) => mul(mul(t(v), K), v).a[0] / mul(mul(t(v), Q), v).a[0];
    for (let trial = 0; trial < 200; trial++) {
      const q = quotient(randomMat(k, 1, 1000 + trial));
      expect(q).toBeLessThanOrEqual(theta[k - 1] * (1 + 1e-12));
      expect(q).toBeGreaterThanOrEqual(theta[0] * (1 - 1e-12) - 1e-12);
    }
    const column = (j: number) => mat(k, 1, Array.from({ length: k }, (_, i) => u[i * k + j]));
    expect(Math.abs(quotient(column(k - 1)) - theta[k - 1]) / theta[k - 1]).toBeLessThan(1e-12);
  });
});

describe('diagonalSylvester: the W-step K W P + Q W = RHS as W = U Omega', () => {
  const k = 8, r = 5, { K, A, Q } = setup(k, 3, 21, 0.4, 3);
  const Braw = randomMat(r, 20, 22);
  const P = add(identity(r), scale(mul(Braw, t(Braw)), 0.1)); // SPD, as (1 + eta) I + (beta/n) B B^T
  const RHS = randomMat(k, r, 23);
  const { U: u, theta } = L.ridgeLowrankEigen(k, K.a, 0.4, 3, A.a, 3);
  const U = mat(k, k, u);
  const W = mul(U, mat(k, r, L.diagonalSylvester(k, r, theta, P.a, mul(t(U), RHS).a)));
  it('solves the equation (residual) and equals the Kronecker-product solve (P (x) K + I (x) Q) vec W = vec RHS', () => {
    expect(relErr(add(mul(mul(K, W), P), mul(Q, W)), RHS)).toBeLessThan(1e-10);
    // vec stacks columns: unknown (i, j) of W is index j * k + i.
    const M = mat(k * r, k * r), b = mat(k * r, 1);
    for (let j = 0; j < r; j++)
      for (let i = 0; i < k; i++) {
        b.a[j * k + i] = RHS.a[i * r + j];
        for (let jj = 0; jj < r; jj++)
          for (let ii = 0; ii < k; ii++)
            M.a[(j * k + i) * k * r + jj * k + ii] = P.a[jj * r + j] * K.a[i * k + ii] + (j === jj ? Q.a[i * k + ii] : 0);
      }
    const x = solve(M, b);
    const Wk = mat(k, r);
    for (let j = 0; j < r; j++) for (let i = 0; i < k; i++) Wk.a[i * r + j] = x.a[j * k + i];
    expect(relErr(W, Wk)).toBeLessThan(1e-9);
  });
  it('is the minimiser of tr(W^T K W P) + tr(W^T Q W) - 2 tr(W^T RHS)', () => {
    const f = (V: Mat) => {
      const KVP = mul(mul(K, V), P), QV = mul(Q, V);
      let s = 0;
      for (let i = 0; i < V.a.length; i++) s += V.a[i] * (KVP.a[i] + QV.a[i] - 2 * RHS.a[i]);
      return s;
    };
    const best = f(W);
    for (let trial = 0; trial < 50; trial++) {
      const D = randomMat(k, r, 500 + trial);
      for (const eps of [1e-3, 1e-1]) expect(f(add(W, D, eps))).toBeGreaterThan(best);
    }
  });
});
