// Each CSMH step (binding/train/csmh.cc) against a direct computation of the objective it minimises,
// on small random data with injected anchors and initial codes. The direct side forms what the
// method never does: the n x n similarity S = 2 G^T G - 1 1^T, the class means of the MMD term,
// and the W-step as a Kronecker-product solve.
import { describe, expect, it } from 'vitest';
import { CSMH, type CsmhOptions } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';
import { type Mat, add, frob2, identity, mat, maxAbs, maxAbsDiff, mul, randomMat, scale, solve, t } from '../helpers/naive.js';
import { codeBits, gaussians, labelMats, naiveFeatures } from '../helpers/naive-baselines.js';

const data = smallSet(150, 4);
const n = data.labels.rows, c = data.labels.cols, r = 8;
const inject = { imageAnchors: Array.from({ length: 12 }, (_, i) => 5 * i + 2), textAnchors: Array.from({ length: 10 }, (_, i) => 149 - 7 * i), B0: gaussians(n * r, 31) };
const relErr = (x: Mat, y: Mat) => maxAbsDiff(x.a, y.a) / Math.max(1e-300, maxAbs(y.a));
const B0 = t(mat(n, r, inject.B0.map((v) => (v >= 0 ? 1 : -1)))); // r x n, the page's orientation
const { L, G: Gn } = labelMats(data.labels);
const S = add(scale(mul(Gn, t(Gn)), 2), mat(n, n, new Float64Array(n * n).fill(1)), -1); // n x n, direct
const classCount = Array.from({ length: c }, (_, j) => Array.from({ length: n }, (_, i) => L.a[i * c + j]).reduce((a, b) => a + b, 0));

type Fitted = Awaited<ReturnType<typeof CSMH.fit>>;
const fit = (o: Partial<CsmhOptions> & { iterations: number }) => CSMH.fit(data, { bits: r, imageAnchors: 12, textAnchors: 10, seed: 2, ...o }, { inject, keepLatent: true });
const features = (m: Fitted) => ({ image: naiveFeatures(m.hashFunction('image'), data.image), text: naiveFeatures(m.hashFunction('text'), data.text) });
const hashW = (m: Fitted, modality: 'image' | 'text') => mat(m.hashFunction(modality).count, r, m.hashFunction(modality).W);
const codesOf = (m: Fitted) => t(mat(n, r, Array.from(codeBits(m.trainingCodes), (b) => (b ? 1 : -1)))); // r x n

/** The MMD term by its definition: alpha n (||mean(Z1) - mean(Z2)||^2 + sum_c ||classmean_c(Z1) - classmean_c(Z2)||^2). */
function mmdByMeans(alpha: number, Z1: Mat, Z2: Mat): number {
  let total = 0;
  const diff = add(Z1, Z2, -1);
  const addMean = (weight: (i: number) => number, count: number) => {
    if (count === 0) return;
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += weight(i) * diff.a[j * n + i];
      total += (s / count) ** 2;
    }
  };
  addMean(() => 1, n);
  for (let cl = 0; cl < c; cl++) addMean((i) => L.a[i * c + cl], classCount[cl]);
  return alpha * n * total;
}

/** The stated objective at (W1, W2, B), every term direct (Phi are n x k, rows are samples). */
function objective(o: { alpha: number; beta: number; ridge: number; eta: number }, Phi: { image: Mat; text: Mat }, W1: Mat, W2: Mat, B: Mat): number {
  const Z1 = mul(t(W1), t(Phi.image)), Z2 = mul(t(W2), t(Phi.text));
  let J = 0;
  for (const [Z, W] of [[Z1, W1], [Z2, W2]] as const) {
    J += frob2(add(B, Z, -1)) + o.ridge * frob2(W) + (o.beta / n) * frob2(add(mul(t(Z), B), S, -r));
  }
  return J + mmdByMeans(o.alpha, Z1, Z2) + o.eta * frob2(add(Z1, Z2, -1));
}

/** The W-step of modality Phi with the other's latent Zo fixed: (P (x) K + I (x) Q) vec W = vec RHS, RHS from the direct S. */
function wStep(o: { alpha: number; beta: number; ridge: number; eta: number }, Phi: Mat, Zo: Mat, B: Mat): Mat {
  const k = Phi.cols, K = mul(t(Phi), Phi);
  const E = mat(n, c + 1);
  for (let i = 0; i < n; i++) {
    E.a[i * (c + 1)] = 1 / n;
    for (let j = 0; j < c; j++) if (L.a[i * c + j]) E.a[i * (c + 1) + 1 + j] = 1 / classCount[j];
  }
  const A = mul(t(Phi), E);
  const Q = add(scale(mul(A, t(A)), o.alpha * n), scale(identity(k), o.ridge));
  const P = add(scale(identity(r), 1 + o.eta), scale(mul(B, t(B)), o.beta / n));
  const RHS = add(add(add(mul(t(Phi), t(B)), scale(mul(A, t(mul(Zo, E))), o.alpha * n)), scale(mul(t(Phi), t(Zo)), o.eta)), scale(mul(mul(t(Phi), S), t(B)), (o.beta * r) / n));
  const M = mat(k * r, k * r), b = mat(k * r, 1);
  for (let j = 0; j < r; j++)
    for (let i = 0; i < k; i++) {
      b.a[j * k + i] = RHS.a[i * r + j];
      for (let jj = 0; jj < r; jj++)
        for (let ii = 0; ii < k; ii++) M.a[(j * k + i) * k * r + jj * k + ii] = P.a[jj * r + j] * K.a[i * k + ii] + (j === jj ? Q.a[i * k + ii] : 0);
    }
  const x = solve(M, b), W = mat(k, r);
  for (let j = 0; j < r; j++) for (let i = 0; i < k; i++) W.a[i * r + j] = x.a[j * k + i];
  return W;
}

/** Textbook DCC on r x n codes: per sweep, per bit k, b_k = sgn(q_k - sum_{j != k} H_kj b_j) (0 -> +1). */
function dcc(H: Mat, Q: Mat, B: Mat, sweeps: number): Mat {
  const out = mat(r, n, B.a);
  for (let s = 0; s < sweeps; s++)
    for (let k = 0; k < r; k++)
      for (let i = 0; i < n; i++) {
        let v = Q.a[k * n + i];
        for (let j = 0; j < r; j++) if (j !== k) v -= H.a[k * r + j] * out.a[j * n + i];
        out.a[k * n + i] = v >= 0 ? 1 : -1;
      }
  return out;
}

for (const hyper of [{ alpha: 2, beta: 3, ridge: 0.2, eta: 0 }, { alpha: 0.5, beta: 10, ridge: 1, eta: 0.7 }]) {
  describe(`CSMH, one iteration step by step (alpha ${hyper.alpha}, beta ${hyper.beta}, ridge ${hyper.ridge}, eta ${hyper.eta})`, async () => {
    const m1 = await fit({ ...hyper, iterations: 1 });
    const Phi = features(m1);
    const W1 = wStep(hyper, Phi.image, mat(r, n), B0);
    const Z1 = mul(t(W1), t(Phi.image));
    const W2 = wStep(hyper, Phi.text, Z1, B0);
    const Z2 = mul(t(W2), t(Phi.text));

    it('kernel features: the injected anchors, sigma = the mean sample-anchor distance (ASCMH\'s rule), centred on the training mean', () => {
      const h = m1.hashFunction('image');
      expect(h.sigmaRule).toBe('mean-distance');
      expect(h.threshold).toBe('nonnegative');
      inject.imageAnchors.forEach((row, j) => expect(maxAbsDiff(h.anchors.slice(j * h.dim, (j + 1) * h.dim), data.image.data.slice(row * h.dim, (row + 1) * h.dim))).toBe(0));
      for (const X of [Phi.image, Phi.text]) for (let j = 0; j < X.cols; j++) expect(Math.abs(Array.from({ length: n }, (_, i) => X.a[i * X.cols + j]).reduce((a, b) => a + b, 0)) / n).toBeLessThan(1e-12);
    });
    it('W_1-step (Z_2 = 0 before the first) equals the Kronecker-product solve of its normal equations', () => {
      expect(relErr(hashW(m1, 'image'), W1)).toBeLessThan(1e-8);
    });
    it('W_2-step with the new Z_1 likewise', () => {
      expect(relErr(hashW(m1, 'text'), W2)).toBeLessThan(1e-8);
    });
    it('each W-step minimises the stated objective (MMD by explicit class means) in its block', () => {
      for (let trial = 0; trial < 20; trial++) {
        const D1 = randomMat(W1.rows, r, 900 + trial), D2 = randomMat(W2.rows, r, 950 + trial);
        for (const eps of [1e-4, 1e-2]) {
          expect(objective(hyper, Phi, add(W1, D1, eps), mat(W2.rows, r), B0)).toBeGreaterThan(objective(hyper, Phi, W1, mat(W2.rows, r), B0));
          expect(objective(hyper, Phi, W1, add(W2, D2, eps), B0)).toBeGreaterThan(objective(hyper, Phi, W1, W2, B0));
        }
      }
    });
    it('B-step: H = (beta/n) sum Z Z^T and Q = Z_1 + Z_2 + (beta r/n)(Z_1 + Z_2) S, then 3 DCC sweeps from B0', () => {
      const H = scale(add(mul(Z1, t(Z1)), mul(Z2, t(Z2))), hyper.beta / n);
      const Zs = add(Z1, Z2), Q = add(Zs, scale(mul(Zs, S), (hyper.beta * r) / n));
      expect(relErr(mat(r, r, m1.latent!.H as Float64Array), H)).toBeLessThan(1e-8);
      expect(relErr(t(mat(n, r, m1.latent!.Q as Float64Array)), Q)).toBeLessThan(1e-8);
      expect(relErr(t(mat(n, r, m1.latent!.Z_image as Float64Array)), Z1)).toBeLessThan(1e-8);
      expect(Array.from(codesOf(m1).a)).toEqual(Array.from(dcc(H, Q, B0, 3).a));
    });
    it('the reported objective is the stated objective, with the MMD term by its definition on explicit means', () => {
      const direct = objective(hyper, Phi, W1, W2, codesOf(m1));
      expect(Math.abs(m1.history[0].objective - direct) / direct).toBeLessThan(1e-10);
      // The MMD part alone: alpha n ||(Z_1 - Z_2) E||^2 from the method's latent Z, against the means.
      const mmdOff = objective({ ...hyper, alpha: 0 }, Phi, W1, W2, codesOf(m1));
      expect(Math.abs(direct - mmdOff - mmdByMeans(hyper.alpha, Z1, Z2)) / direct).toBeLessThan(1e-10);
    });
  });
}

describe('CSMH over iterations', async () => {
  const hyper = { alpha: 1, beta: 10, ridge: 0.1, eta: 0.3 };
  const m = await fit({ ...hyper, iterations: 8 });
  const Phi = features(m);
  it('the objective never increases (each step minimises it in its block) and ends at the direct value', () => {
    const values = m.history.map((h) => h.objective);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1] * (1 + 1e-12));
    expect(values[values.length - 1]).toBeLessThan(values[0]);
    const direct = objective(hyper, Phi, hashW(m, 'image'), hashW(m, 'text'), codesOf(m));
    expect(Math.abs(values[values.length - 1] - direct) / direct).toBeLessThan(1e-9);
  });
  it('the marginal MMD part is zero: centred features give Z_m 1 = 0', () => {
    for (const name of ['Z_image', 'Z_text']) {
      const Z = mat(n, r, m.latent![name] as Float64Array);
      for (let j = 0; j < r; j++) expect(Math.abs(Array.from({ length: n }, (_, i) => Z.a[i * r + j]).reduce((a, b) => a + b, 0)) / n).toBeLessThan(1e-10 * (1 + maxAbs(Z.a)));
    }
  });
  it('the generalised eigenvalues are non-negative (K is a Gram matrix, Q positive definite)', () => {
    for (const name of ['theta_image', 'theta_text']) for (const v of m.latent![name] as Float64Array) expect(v).toBeGreaterThan(-1e-9);
  });
  it('the hash function is the learned projection: bit j of x is set where (W^T (phi(x) - mean))_j >= 0', () => {
    for (const modality of ['image', 'text'] as const) {
      const z = mul(Phi[modality], hashW(m, modality));
      const bits = codeBits(m.encode(modality, data[modality]));
      let checked = 0;
      for (let i = 0; i < z.a.length; i++) {
        if (Math.abs(z.a[i]) < 1e-9) continue;
        expect(bits[i]).toBe(z.a[i] >= 0 ? 1 : 0);
        checked++;
      }
      expect(checked).toBeGreaterThan(z.a.length * 0.99);
    }
  });
  it('progress carries the objective; bits changed are net changes of B', () => {
    const seen: number[] = [];
    return CSMH.fit(data, { bits: r, imageAnchors: 12, textAnchors: 10, iterations: 3 }, { inject, onProgress: (p) => seen.push(p.objective) }).then((m3) => {
      expect(seen).toEqual(m3.history.map((h) => h.objective));
      expect(m3.history[0].changedBits).toBeLessThanOrEqual(n * r);
    });
  });
});

describe('CSMH early stop (tolerance)', async () => {
  const tolerance = 1e-6;
  const stops = (h: { changedBits: number; objective: number }[], i: number) =>
    i > 0 && h[i].changedBits === 0 && Math.abs(h[i - 1].objective - h[i].objective) <= tolerance * Math.abs(h[i].objective);
  const early = await fit({ iterations: 60, tolerance });
  it('stops at the first iteration that flipped no bit and moved the objective by at most tolerance x |objective|', () => {
    const h = early.history;
    expect(h.length).toBeLessThan(60);
    expect(stops(h, h.length - 1)).toBe(true);
    for (let i = 0; i < h.length - 1; i++) expect(stops(h, i)).toBe(false);
  });
  it('gives the same model as running exactly that many iterations without it', async () => {
    const fixed = await fit({ iterations: early.history.length });
    expect(Array.from(codeBits(early.trainingCodes))).toEqual(Array.from(codeBits(fixed.trainingCodes)));
    expect(hashW(early, 'image').a).toEqual(hashW(fixed, 'image').a);
  });
});

describe('CSMH options', () => {
  it('refuses bad hyper-parameters with coded errors before any work', async () => {
    for (const bad of [{ ridge: 0 }, { alpha: -1 }, { beta: Number.NaN }, { eta: -0.1 }, { sweeps: 0 }, { tolerance: -1 }, { iterations: 0 }, { sigmaRule: 'median' }]) {
      await expect(CSMH.fit(data, { bits: 8, imageAnchors: 12, textAnchors: 10, ...bad } as CsmhOptions)).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    }
  });
});
