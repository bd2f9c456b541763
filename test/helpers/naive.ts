// Naive, obviously-correct reference math for tests (row-major number arrays).
export type Mat = { rows: number; cols: number; a: Float64Array };

export const mat = (rows: number, cols: number, a?: ArrayLike<number>): Mat => ({ rows, cols, a: a ? Float64Array.from(a) : new Float64Array(rows * cols) });

export function randomMat(rows: number, cols: number, seed: number): Mat {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296 - 0.5;
  };
  return mat(rows, cols, Array.from({ length: rows * cols }, next));
}

export const at = (m: Mat, i: number, j: number) => m.a[i * m.cols + j];

export function mul(x: Mat, y: Mat): Mat {
  if (x.cols !== y.rows) throw new Error('shape');
  const out = mat(x.rows, y.cols);
  for (let i = 0; i < x.rows; i++)
    for (let k = 0; k < x.cols; k++) {
      const v = x.a[i * x.cols + k];
      for (let j = 0; j < y.cols; j++) out.a[i * y.cols + j] += v * y.a[k * y.cols + j];
    }
  return out;
}

export function t(x: Mat): Mat {
  const out = mat(x.cols, x.rows);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) out.a[j * x.rows + i] = x.a[i * x.cols + j];
  return out;
}

export const add = (x: Mat, y: Mat, beta = 1): Mat => mat(x.rows, x.cols, x.a.map((v, i) => v + beta * y.a[i]));
export const scale = (x: Mat, s: number): Mat => mat(x.rows, x.cols, x.a.map((v) => v * s));
export const identity = (n: number): Mat => {
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.a[i * n + i] = 1;
  return m;
};
export const frob2 = (x: Mat) => x.a.reduce((s, v) => s + v * v, 0);
export const trace = (x: Mat) => {
  let s = 0;
  for (let i = 0; i < x.rows; i++) s += x.a[i * x.cols + i];
  return s;
};
export const maxAbsDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
};
export const maxAbs = (x: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
};

/** Solves A X = B by Gaussian elimination with partial pivoting. */
export function solve(A: Mat, B: Mat): Mat {
  const n = A.rows, m = B.cols;
  const a = Float64Array.from(A.a), b = Float64Array.from(B.a);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j], a[c * n + j]];
    for (let j = 0; j < m; j++) [b[c * m + j], b[p * m + j]] = [b[p * m + j], b[c * m + j]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / a[c * n + c];
      for (let j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
      for (let j = 0; j < m; j++) b[r * m + j] -= f * b[c * m + j];
    }
  }
  for (let c = n - 1; c >= 0; c--)
    for (let j = 0; j < m; j++) {
      let s = b[c * m + j];
      for (let k = c + 1; k < n; k++) s -= a[c * n + k] * b[k * m + j];
      b[c * m + j] = s / a[c * n + c];
    }
  return mat(n, m, b);
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, ascending. */
export function symmetricEigenvalues(S: Mat): number[] {
  const n = S.rows;
  const a = Float64Array.from(S.a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30 * (1 + frob2(S))) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const tt = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(tt * tt + 1), s = tt * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]).sort((x, y) => x - y);
}

/** Sum of singular values. */
export const nuclearNorm = (K: Mat) => symmetricEigenvalues(mul(t(K), K)).reduce((s, w) => s + Math.sqrt(Math.max(0, w)), 0);

/** mAP with a stable sort by (distance, index), the definition of the method page. */
export function naiveMap(
  q: Uint8Array, db: Uint8Array, bits: number, nq: number, ndb: number,
  ql: Uint8Array, dl: Uint8Array, classes: number, top = 0, skip = false,
): { map: number; ap: number[] } {
  const bytes = Math.ceil(bits / 64) * 8;
  const ap: number[] = [];
  for (let i = 0; i < nq; i++) {
    const items = Array.from({ length: ndb }, (_, j) => {
      let d = 0;
      for (let b = 0; b < bytes; b++) {
        let x = q[i * bytes + b] ^ db[j * bytes + b];
        while (x) {
          d += x & 1;
          x >>= 1;
        }
      }
      let rel = false;
      for (let c = 0; c < classes; c++) if (ql[i * classes + c] && dl[j * classes + c]) rel = true;
      return { j, d, rel };
    });
    items.sort((a, b) => a.d - b.d || a.j - b.j);
    const limit = top > 0 ? Math.min(top, ndb) : ndb;
    if (!items.some((x) => x.rel)) {
      ap.push(skip ? NaN : 0);
      continue;
    }
    let hits = 0, sum = 0;
    for (let r = 0; r < limit; r++)
      if (items[r].rel) {
        hits++;
        sum += hits / (r + 1);
      }
    ap.push(hits ? sum / hits : 0);
  }
  const counted = ap.filter((x) => !Number.isNaN(x));
  return { map: counted.length ? counted.reduce((a, b) => a + b, 0) / counted.length : 0, ap };
}

/** Centred (or raw) RBF kernel features, k x n, computed directly from a hash function's anchors. */
export function naiveKernelFeatures(
  h: { count: number; dim: number; anchors: ArrayLike<number>; sigma: number; mean: ArrayLike<number> },
  X: { rows: number; data: ArrayLike<number> },
  centre = true,
): Mat {
  const n = X.rows;
  const out = mat(h.count, n);
  for (let j = 0; j < h.count; j++)
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      for (let f = 0; f < h.dim; f++) d2 += (X.data[i * h.dim + f] - h.anchors[j * h.dim + f]) ** 2;
      out.a[j * n + i] = Math.exp(-d2 / (2 * h.sigma ** 2)) - (centre ? h.mean[j] : 0);
    }
  return out;
}

/** What call() throws (undefined if it returns). */
export function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}
