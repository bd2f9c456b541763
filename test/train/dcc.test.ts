// The discrete cyclic coordinate descent of binding/train/dcc.h on its own, against brute force over
// every code (2^r codes, r <= 10) and a naive bit-row-by-bit-row DCC: min tr(B^T H B) - 2 tr(B^T Q).
import { describe, expect, it } from 'vitest';
import { native } from '../../src/core/native.js';
import { gaussians } from '../helpers/naive-baselines.js';

const L = native._internal;

/** One code's objective b^T H b - 2 q^T b. */
function codeObjective(r: number, H: Float64Array, q: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < r; j++) {
    let hb = 0;
    for (let a = 0; a < r; a++) hb += H[j * r + a] * b[a];
    s += b[j] * (hb - 2 * q[j]);
  }
  return s;
}

/** The minimum over all 2^r codes and the code attaining it. */
function bruteForce(r: number, H: Float64Array, q: ArrayLike<number>): { value: number; code: Int8Array } {
  let best = Infinity, code = new Int8Array(r);
  const b = new Int8Array(r);
  for (let mask = 0; mask < 2 ** r; mask++) {
    for (let j = 0; j < r; j++) b[j] = (mask >> j) & 1 ? 1 : -1;
    const v = codeObjective(r, H, q, b);
    if (v < best) [best, code] = [v, Int8Array.from(b)];
  }
  return { value: best, code };
}

/** The textbook DCC: for each sweep, for each bit k, b_k = sgn(q_k - sum_{j != k} H_kj b_j) over every code at once. */
function naiveDcc(r: number, n: number, H: Float64Array, Q: Float64Array, B0: Int8Array, sweeps: number): Int8Array {
  const B = Int8Array.from(B0);
  for (let s = 0; s < sweeps; s++)
    for (let k = 0; k < r; k++)
      for (let i = 0; i < n; i++) {
        let t = Q[i * r + k];
        for (let j = 0; j < r; j++) if (j !== k) t -= H[k * r + j] * B[i * r + j];
        B[i * r + k] = t >= 0 ? 1 : -1;
      }
  return B;
}

/** A symmetric r x r H: Z Z^T / m plus a diagonal shift (may be indefinite when shift < 0). */
function problem(r: number, n: number, seed: number, shift = 0) {
  const m = r + 3, Z = gaussians(r * m, seed);
  const H = new Float64Array(r * r);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let a = 0; a < m; a++) s += Z[i * m + a] * Z[j * m + a];
      H[i * r + j] = s / m + (i === j ? shift : 0);
    }
  const Q = gaussians(n * r, seed + 1000).map((v) => 1.5 * v);
  const B0 = Int8Array.from(gaussians(n * r, seed + 2000), (v) => (v >= 0 ? 1 : -1));
  return { H, Q, B0 };
}

const oneFlipOptimal = (r: number, H: Float64Array, q: ArrayLike<number>, b: Int8Array) => {
  const v = codeObjective(r, H, q, b);
  for (let j = 0; j < r; j++) {
    const f = Int8Array.from(b);
    f[j] = -f[j];
    if (codeObjective(r, H, q, f) < v - 1e-12 * (1 + Math.abs(v))) return false;
  }
  return true;
};

describe('DCC (train/dcc.h)', () => {
  it('equals the textbook bit-row DCC, sweep for sweep', () => {
    for (const [r, sweeps] of [[6, 1], [9, 2], [10, 3], [33, 3]] as const) {
      const n = 40, { H, Q, B0 } = problem(r, n, r * 7 + sweeps);
      const out = L.dcc(r, n, H, Q, B0, sweeps);
      expect(Array.from(out.B)).toEqual(Array.from(naiveDcc(r, n, H, Q, B0, sweeps)));
    }
  });

  it('never increases the objective; run to a fixed point every code is 1-flip optimal and no better than the brute-force minimum', () => {
    for (const r of [1, 2, 4, 7, 10]) {
      const n = 30;
      for (const shift of [0, -0.3]) {
        const { H, Q, B0 } = problem(r, n, 100 + r, shift);
        const out = L.dcc(r, n, H, Q, B0, 200);
        for (let i = 0; i < n; i++) {
          const q = Q.subarray(i * r, (i + 1) * r), b = out.B.subarray(i * r, (i + 1) * r);
          const v = codeObjective(r, H, q, b);
          expect(v).toBeLessThanOrEqual(codeObjective(r, H, q, B0.subarray(i * r, (i + 1) * r)) + 1e-12);
          expect(oneFlipOptimal(r, H, q, b)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(bruteForce(r, H, q).value - 1e-9);
        }
      }
    }
  });

  it('finds the brute-force minimum when the bits do not interact (diagonal H), and for r = 1', () => {
    for (const r of [1, 5, 10]) {
      const n = 25, { Q, B0 } = problem(r, n, 300 + r);
      const H = new Float64Array(r * r);
      for (let j = 0; j < r; j++) H[j * r + j] = 0.5 + j;
      const out = L.dcc(r, n, H, Q, B0, 1);
      for (let i = 0; i < n; i++) expect(Array.from(out.B.subarray(i * r, (i + 1) * r))).toEqual(Array.from(bruteForce(r, H, Q.subarray(i * r, (i + 1) * r)).code));
    }
  });

  it('a brute-force minimiser is a fixed point; on near-diagonal H it is what DCC finds from any start', () => {
    const r = 8, n = 20, { H, Q } = problem(r, n, 501);
    const best = new Int8Array(n * r);
    for (let i = 0; i < n; i++) best.set(bruteForce(r, H, Q.subarray(i * r, (i + 1) * r)).code, i * r);
    const stay = L.dcc(r, n, H, Q, best, 5);
    expect(stay.changed).toBe(0);
    expect(Array.from(stay.B)).toEqual(Array.from(best));
    // H = 3 I + small coupling: the objective is nearly separable and DCC reaches the optimum.
    const Hd = H.map((v, idx) => 0.02 * v + (idx % (r + 1) === 0 ? 3 : 0));
    const Qd = Q.map((v) => 4 * v);
    const far = Int8Array.from(gaussians(n * r, 77), (v) => (v >= 0 ? 1 : -1));
    const out = L.dcc(r, n, Hd, Qd, far, 10);
    for (let i = 0; i < n; i++) expect(Array.from(out.B.subarray(i * r, (i + 1) * r))).toEqual(Array.from(bruteForce(r, Hd, Qd.subarray(i * r, (i + 1) * r)).code));
  });

  it('reports the objective and the entries it changed; a zero argument gives +1', () => {
    const r = 5, n = 12, { H, Q, B0 } = problem(r, n, 9);
    const out = L.dcc(r, n, H, Q, B0, 1);
    let total = 0, changed = 0;
    for (let i = 0; i < n; i++) total += codeObjective(r, H, Q.subarray(i * r, (i + 1) * r), out.B.subarray(i * r, (i + 1) * r));
    for (let i = 0; i < n * r; i++) changed += out.B[i] !== B0[i] ? 1 : 0;
    expect(Math.abs(out.objective - total)).toBeLessThan(1e-9 * (1 + Math.abs(total)));
    expect(out.changed).toBe(changed); // one sweep: a bit changes at most once
    const zero = L.dcc(2, 1, new Float64Array([1, 0, 0, 1]), new Float64Array(2), new Int8Array([-1, -1]), 1);
    expect(Array.from(zero.B)).toEqual([1, 1]);
  });

  it('refuses codes that are not +-1 and wrong sizes with coded errors', () => {
    const H = new Float64Array(4), Q = new Float64Array(6);
    expect(() => L.dcc(2, 3, H, Q, new Int8Array([1, 0, 1, 1, -1, 1]), 1)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_OPTION' }));
    expect(() => L.dcc(2, 3, H, Q, new Int8Array(5).fill(1), 1)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    expect(() => L.dcc(2, 3, H, Q, new Uint8Array(6), 1)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DTYPE' }));
  });
});
