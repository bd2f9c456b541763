// Each BATCH step of the port against the direct formula of train_BATCH.m / evaluate_BATCH.m, on
// small random data with injected draws (../shared/docs/baselines.md lists the steps).
import { describe, expect, it } from 'vitest';
import { BATCH } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';
import { type Mat, add, identity, mat, maxAbs, maxAbsDiff, mul, scale, solve, t } from '../helpers/naive.js';
import { codeBits, cols, gaussians, hcat, labelMats, naiveFeatures } from '../helpers/naive-baselines.js';

const data = smallSet(150, 4);
const n = data.labels.rows, c = data.labels.cols, r = 16;
const options = { bits: r, imageAnchors: 25, textAnchors: 20, seed: 1 };
const inject = { imageAnchors: Array.from({ length: 25 }, (_, i) => 3 * i + 1), textAnchors: Array.from({ length: 20 }, (_, i) => 140 - 5 * i), B0: gaussians(n * r, 11), V0: gaussians(n * r, 12) };
const relErr = (x: Mat, y: Mat) => maxAbsDiff(x.a, y.a) / Math.max(1e-300, maxAbs(y.a));
const m1 = await BATCH.fit(data, { ...options, iterations: 1 }, { inject, keepLatent: true });
const o = m1.options;
const Phi = { image: naiveFeatures(m1.hashFunction('image'), data.image), text: naiveFeatures(m1.hashFunction('text'), data.text) };
const { L, G } = labelMats(data.labels);
const F = hcat(Phi.image, Phi.text, L);
const sign0 = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
const B0 = mat(n, r, inject.B0.map((v) => (v > 0 ? 1 : -1)));
const V0 = mat(n, r, inject.V0);
const latent = (name: string, rows: number, cols_: number) => mat(rows, cols_, m1.latent![name] as ArrayLike<number>);

describe('BATCH kernel features (Kernel_Feature.m)', () => {
  it('anchors are the injected rows; sigma is the mean squared distance over every row; the mean is the training mean', () => {
    for (const [modality, rows] of [['image', inject.imageAnchors], ['text', inject.textAnchors]] as const) {
      const h = m1.hashFunction(modality), X = data[modality];
      expect(h.sigmaRule).toBe('mean-squared-distance');
      expect(h.inputMean).toBeUndefined();
      rows.forEach((row, j) => expect(maxAbsDiff(h.anchors.slice(j * h.dim, (j + 1) * h.dim), X.data.slice(row * h.dim, (row + 1) * h.dim))).toBe(0));
      let total = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < h.count; j++) {
          let d2 = 0;
          for (let f = 0; f < h.dim; f++) d2 += (X.data[i * h.dim + f] - h.anchors[j * h.dim + f]) ** 2;
          total += d2;
        }
      expect(Math.abs(h.sigma - total / (n * h.count)) / h.sigma).toBeLessThan(1e-12);
      const raw = naiveFeatures(h, X, false);
      for (let j = 0; j < h.count; j++) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += raw.a[i * h.count + j] / n;
        expect(Math.abs(mean - h.mean[j])).toBeLessThan(1e-13);
      }
    }
  });
});

describe('BATCH, one iteration step by step (injected B0, V0)', () => {
  const k0 = o.imageAnchors, k1 = o.textAnchors;
  const Tm = add(mul(t(V0), V0), scale(identity(r), 1e-3));
  const U = solve(Tm, mul(t(V0), F));
  it('U-step: [Ux Uy Ul] = (V\'V + 1e-3 I) \\ V\'[XK YK L]', () => {
    expect(relErr(latent('U', r, F.cols), U)).toBeLessThan(1e-10);
  });
  const Z = add(add(scale(mul(G, mul(t(G), B0)), r), scale(B0, o.omega)),
    add(add(scale(mul(Phi.image, t(cols(U, 0, k0))), o.etaImage), scale(mul(Phi.text, t(cols(U, k0, k0 + k1))), o.etaText)), scale(mul(L, t(cols(U, k0 + k1, F.cols))), o.etaLabel)));
  it('Z = r G (G\'B) + omega B + eta1 XK Ux\' + eta2 YK Uy\' + eta0 L Ul\'', () => {
    expect(relErr(latent('Z', n, r), Z)).toBeLessThan(1e-10);
  });
  it('V-step (full rank here): V\'V = n I, V\'1 = 0, and V\'Zc is symmetric with (V\'Zc)^2 = n Zc\'Zc (V = sqrt(n) Zc (Zc\'Zc)^-1/2)', () => {
    expect(m1.history[0].latentRank).toBe(r);
    const V = latent('V', n, r);
    // The code works from Temp = Z'Z (the condition number squared), so V'V = n I holds to about
    // eps * cond(Zc)^2, not eps; the port keeps that on purpose.
    expect(maxAbsDiff(mul(t(V), V).a, scale(identity(r), n).a) / n).toBeLessThan(1e-6);
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += V.a[i * r + j];
      expect(Math.abs(s) / n).toBeLessThan(1e-9);
    }
    const Zc = mat(n, r, Z.a);
    for (let j = 0; j < r; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += Z.a[i * r + j] / n;
      for (let i = 0; i < n; i++) Zc.a[i * r + j] -= mean;
    }
    const VZ = mul(t(V), Zc);
    expect(maxAbsDiff(VZ.a, t(VZ).a) / maxAbs(VZ.a)).toBeLessThan(1e-8);
    expect(relErr(mul(VZ, VZ), scale(mul(t(Zc), Zc), n))).toBeLessThan(1e-8);
  });
  it('B-step: B = sign(r G (G\'V) + omega V), with sign(0) = 0 until the end', () => {
    const V = latent('V', n, r);
    const arg = add(scale(mul(G, mul(t(G), V)), r), scale(V, o.omega));
    const B = m1.latent!.B as Int8Array;
    const tol = 1e-10 * maxAbs(arg.a);
    let compared = 0;
    for (let i = 0; i < arg.a.length; i++) {
      if (Math.abs(arg.a[i]) <= tol) continue;
      expect(B[i]).toBe(sign0(arg.a[i]));
      compared++;
    }
    expect(compared).toBeGreaterThan(0.9 * arg.a.length);
  });
  it('final B: sign(B) with zeros set to -1 (the training codes)', () => {
    const B = m1.latent!.B as Int8Array, bits = codeBits(m1.trainingCodes);
    for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) expect(bits[i * r + j]).toBe(B[i * r + j] > 0 ? 1 : 0);
  });
  it('a row whose argument is exactly 0 keeps sign 0 until the end: an unlabelled row with omega = 0', async () => {
    // Row 0 of smallSet has no label: with omega = 0 its B-step argument r G G'V is exactly 0.
    const m = await BATCH.fit(data, { ...options, iterations: 2, omega: 0 }, { inject, keepLatent: true });
    const B = m.latent!.B as Int8Array, bits = codeBits(m.trainingCodes);
    for (let j = 0; j < r; j++) {
      expect(B[j]).toBe(0);
      expect(bits[j]).toBe(0); // -1
    }
  });
  it('hash functions: (XK\'XK + xi I) XW = XK\'B, and query bits are XK_q XW > 0', () => {
    const B = mat(n, r, Array.from(codeBits(m1.trainingCodes), (b) => (b ? 1 : -1)));
    for (const modality of ['image', 'text'] as const) {
      const h = m1.hashFunction(modality), P = Phi[modality];
      const W = mat(h.count, r, h.W);
      expect(relErr(mul(add(mul(t(P), P), scale(identity(h.count), o.xi)), W), mul(t(P), B))).toBeLessThan(1e-9);
      const z = mul(P, W), bits = codeBits(m1.encode(modality, data[modality]));
      for (let i = 0; i < z.a.length; i++) if (Math.abs(z.a[i]) > 1e-9) expect(bits[i]).toBe(z.a[i] > 0 ? 1 : 0);
    }
  });
  it("the query threshold is strict (> 0): a hash function whose every z is 0 gives all bits 0 (>= 0 would give 1)", () => {
    const h = m1.hashFunction('image');
    const zero = new BATCH({ method: 'batch', encoder: 'kernel-ridge', options: m1.options, image: { ...h, W: new Float64Array(h.W.length) }, text: m1.hashFunction('text'), trainingCodes: m1.trainingCodes, history: [], seconds: m1.seconds });
    expect(codeBits(zero.encode('image', data.image)).every((b) => b === 0)).toBe(true);
    const loose = new BATCH({ method: 'batch', encoder: 'kernel-ridge', options: { ...m1.options, threshold: 'nonnegative' }, image: { ...h, W: new Float64Array(h.W.length), threshold: 'nonnegative' }, text: m1.hashFunction('text'), trainingCodes: m1.trainingCodes, history: [], seconds: m1.seconds });
    expect(codeBits(loose.encode('image', data.image)).every((b) => b === 1)).toBe(true);
  });
  it('more iterations continue from the same state: iteration 2 starts from iteration 1\'s V and B', async () => {
    const m2 = await BATCH.fit(data, { ...options, iterations: 2 }, { inject, keepLatent: true });
    const V1 = latent('V', n, r), B1 = mat(n, r, m1.latent!.B as Int8Array);
    const U2 = solve(add(mul(t(V1), V1), scale(identity(r), 1e-3)), mul(t(V1), F));
    expect(relErr(mat(r, F.cols, m2.latent!.U as Float64Array), U2)).toBeLessThan(1e-9);
    expect(B1.a.length).toBe(n * r);
  });
});
