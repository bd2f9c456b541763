// Direct formulas for the BATCH and SCRATCH tests (row-major Mat, rows are samples unless said).
import type { HashFunctionParameters, LabelMatrix, Matrix } from '../../src/index.js';
import { type Mat, mat } from './naive.js';

/** Kernel features n x k of X under a model's hash-function parameters (any sigma rule, input centring). */
export function naiveFeatures(h: HashFunctionParameters, X: Matrix, centre = true): Mat {
  const n = X.rows, out = mat(n, h.count);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < h.count; j++) {
      let d2 = 0;
      for (let f = 0; f < h.dim; f++) {
        const x = X.data[i * h.dim + f] - (h.inputMean ? h.inputMean[f] : 0);
        d2 += (x - h.anchors[j * h.dim + f]) ** 2;
      }
      const phi = h.sigmaRule === 'mean-squared-distance' ? Math.exp(-d2 / (2 * h.sigma)) : Math.exp(-d2 / (2 * h.sigma ** 2));
      out.a[i * h.count + j] = phi - (centre ? h.mean[j] : 0);
    }
  return out;
}

/** L (n x c) and G = rows of L over their norms (NormalizeFea). */
export function labelMats(labels: LabelMatrix): { L: Mat; G: Mat } {
  const { rows: n, cols: c } = labels;
  const L = mat(n, c), G = mat(n, c);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let j = 0; j < c; j++) count += labels.data[i * c + j];
    for (let j = 0; j < c; j++)
      if (labels.data[i * c + j]) {
        L.a[i * c + j] = 1;
        G.a[i * c + j] = 1 / Math.sqrt(count);
      }
  }
  return { L, G };
}

/** [A | B] (same rows). */
export function hcat(...ms: Mat[]): Mat {
  const rows = ms[0].rows, cols = ms.reduce((s, m) => s + m.cols, 0), out = mat(rows, cols);
  let off = 0;
  for (const m of ms) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < m.cols; j++) out.a[i * cols + off + j] = m.a[i * m.cols + j];
    off += m.cols;
  }
  return out;
}

/** Columns [c0, c1) of m. */
export function cols(m: Mat, c0: number, c1: number): Mat {
  const out = mat(m.rows, c1 - c0);
  for (let i = 0; i < m.rows; i++) for (let j = c0; j < c1; j++) out.a[i * (c1 - c0) + j - c0] = m.a[i * m.cols + j];
  return out;
}

/** Seeded standard normal values (Box-Muller over a small LCG). */
export function gaussians(count: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** An orthogonal r x r matrix: Gram-Schmidt of a seeded Gaussian one. */
export function orthogonal(r: number, seed: number): Float64Array {
  const a = gaussians(r * r, seed);
  for (let j = 0; j < r; j++) {
    for (let k = 0; k < j; k++) {
      let d = 0;
      for (let i = 0; i < r; i++) d += a[i * r + j] * a[i * r + k];
      for (let i = 0; i < r; i++) a[i * r + j] -= d * a[i * r + k];
    }
    let nrm = 0;
    for (let i = 0; i < r; i++) nrm += a[i * r + j] ** 2;
    for (let i = 0; i < r; i++) a[i * r + j] /= Math.sqrt(nrm);
  }
  return a;
}

/** Unpacked code bits (count x bits, 0/1) of packed codes. */
export function codeBits(codes: { count: number; bits: number; data: Uint8Array }): Uint8Array {
  const words = Math.ceil(codes.bits / 64), out = new Uint8Array(codes.count * codes.bits);
  for (let i = 0; i < codes.count; i++) for (let j = 0; j < codes.bits; j++) out[i * codes.bits + j] = (codes.data[i * words * 8 + (j >> 3)] >> (j & 7)) & 1;
  return out;
}
