// The shared DCC solver (binding/train/dcc.h) against brute force: every one of the 2^r codes of
// an item, for r up to 10, on random symmetric H and Q.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/core/native.js';
import { randomMat } from '../helpers/naive.js';

const dcc = native._internal.dccSweeps as (n: number, r: number, H: Float64Array, Q: Float64Array, B: Int8Array, sweeps: number, layout?: string) => { B: Int8Array; changed: number; objective: number };

/** A random symmetric r x r matrix: M M^T / r plus a random (possibly indefinite) diagonal shift. */
function symmetric(r: number, seed: number, shift = 0): Float64Array {
  const M = randomMat(r, r, seed).a;
  const H = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let k = 0; k < r; k++) H[i * r + j] += (M[i * r + k] * M[j * r + k]) / r;
  for (let i = 0; i < r; i++) H[i * r + i] += shift;
  return H;
}

const objectiveOf = (H: Float64Array, q: ArrayLike<number>, b: ArrayLike<number>, r: number) => {
  let f = 0;
  for (let k = 0; k < r; k++) {
    let s = 0;
    for (let j = 0; j < r; j++) s += H[k * r + j] * b[j];
    f += b[k] * s - 2 * q[k] * b[k];
  }
  return f;
};

const codeOf = (bits: number, r: number) => Array.from({ length: r }, (_, k) => ((bits >> k) & 1 ? 1 : -1));

/** The global minimiser of one item's objective over all 2^r codes. */
function bruteForce(H: Float64Array, q: ArrayLike<number>, r: number): { code: number[]; value: number } {
  let best = { code: codeOf(0, r), value: Infinity };
  for (let bits = 0; bits < 1 << r; bits++) {
    const code = codeOf(bits, r);
    const value = objectiveOf(H, q, code, r);
    if (value < best.value) best = { code, value };
  }
  return best;
}

/** One sweep done by brute force: bit k becomes whichever of -1, +1 gives the lower objective (a tie: +1). */
function sweepByBruteForce(H: Float64Array, q: ArrayLike<number>, b: number[], r: number): number[] {
  const out = [...b];
  for (let k = 0; k < r; k++) {
    const plus = objectiveOf(H, q, out.map((v, j) => (j === k ? 1 : v)), r);
    const minus = objectiveOf(H, q, out.map((v, j) => (j === k ? -1 : v)), r);
    out[k] = plus <= minus ? 1 : -1;
  }
  return out;
}

const randomCodes = (count: number, seed: number) => Int8Array.from(randomMat(1, count, seed).a, (v) => (v >= 0 ? 1 : -1));
const item = (a: ArrayLike<number>, i: number, r: number) => Array.from({ length: r }, (_, k) => a[i * r + k]);

describe('DCC (binding/train/dcc.h) against brute force', () => {
  const n = 12;
  for (const r of [1, 3, 6, 10]) {
    const H = symmetric(r, 10 + r, r === 6 ? -0.4 : 0.1); // r = 6: H indefinite
    const Q = Float64Array.from(randomMat(n, r, 20 + r).a, (v) => 2 * v);
    const B0 = randomCodes(n * r, 30 + r);

    it(`r = ${r}: each bit of a sweep is the brute-force minimiser over that bit, given the others`, () => {
      const one = dcc(n, r, H, Q, B0, 1);
      let changed = 0;
      for (let i = 0; i < n; i++) {
        const expected = sweepByBruteForce(H, item(Q, i, r), item(B0, i, r), r);
        expect(item(one.B, i, r)).toEqual(expected);
        changed += expected.filter((v, k) => v !== B0[i * r + k]).length;
      }
      expect(one.changed).toBe(changed);
      let total = 0;
      for (let i = 0; i < n; i++) total += objectiveOf(H, item(Q, i, r), item(one.B, i, r), r);
      expect(Math.abs(one.objective - total)).toBeLessThan(1e-9 * (1 + Math.abs(total)));
    });

    it(`r = ${r}: sweeps never raise the objective, and converge to a code no single flip improves, no better than the global minimum`, () => {
      let B = B0, last = Infinity;
      for (let s = 0; s < 30; s++) {
        const next = dcc(n, r, H, Q, B, 1);
        expect(next.objective).toBeLessThanOrEqual(last + 1e-12);
        last = next.objective;
        B = next.B;
        if (next.changed === 0) break;
      }
      expect(dcc(n, r, H, Q, B, 1).changed).toBe(0);
      for (let i = 0; i < n; i++) {
        const q = item(Q, i, r), b = item(B, i, r), value = objectiveOf(H, q, b, r);
        for (let k = 0; k < r; k++) expect(objectiveOf(H, q, b.map((v, j) => (j === k ? -v : v)), r)).toBeGreaterThanOrEqual(value - 1e-12);
        expect(value).toBeGreaterThanOrEqual(bruteForce(H, q, r).value - 1e-12);
      }
    });
  }

  it('with H diagonal (bits independent) one sweep reaches the global minimum of every item', () => {
    const r = 8, H = new Float64Array(r * r);
    for (let k = 0; k < r; k++) H[k * r + k] = 0.5 + k / 4;
    const Q = Float64Array.from(randomMat(n, r, 5).a);
    const out = dcc(n, r, H, Q, randomCodes(n * r, 6), 1);
    for (let i = 0; i < n; i++) expect(item(out.B, i, r)).toEqual(bruteForce(H, item(Q, i, r), r).code);
  });

  it('with r = 1 every sweep is the global minimum: sgn(q), 0 -> +1', () => {
    const Q = Float64Array.from([0.3, -0.2, 0, -0, 5]);
    const out = dcc(5, 1, Float64Array.from([2]), Q, Int8Array.from([-1, 1, -1, -1, -1]), 1);
    expect(Array.from(out.B)).toEqual([1, -1, 1, 1, 1]);
  });

  it('several sweeps in one call equal that many calls of one sweep; the bits-by-items layout gives the same codes', () => {
    const r = 7, H = symmetric(r, 3), Q = Float64Array.from(randomMat(n, r, 4).a), B0 = randomCodes(n * r, 8);
    let B = B0;
    for (let s = 0; s < 3; s++) B = dcc(n, r, H, Q, B, 1).B;
    expect(Array.from(dcc(n, r, H, Q, B0, 3).B)).toEqual(Array.from(B));
    const transpose = <T extends Float64Array | Int8Array>(a: T, make: (len: number) => T) => {
      const out = make(a.length);
      for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) out[k * n + i] = a[i * r + k];
      return out;
    };
    const byItems = dcc(n, r, H, transpose(Q, (l) => new Float64Array(l)), transpose(B0, (l) => new Int8Array(l)), 3, 'bits-by-items');
    expect(Array.from(byItems.B)).toEqual(Array.from(transpose(B, (l) => new Int8Array(l))));
  });
});
