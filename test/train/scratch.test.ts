// Each SCRATCH step of the port against the direct formula of train.m / evaluate.m / Kernelize.m /
// Main_Wiki.m, on small random data with injected draws (../shared/docs/baselines.md).
import { describe, expect, it } from 'vitest';
import { SCRATCH } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';
import { type Mat, add, identity, mat, maxAbs, maxAbsDiff, mul, nuclearNorm, scale, solve, t, trace } from '../helpers/naive.js';
import { codeBits, gaussians, labelMats, naiveFeatures, orthogonal } from '../helpers/naive-baselines.js';

const data = smallSet(150, 6);
const n = data.labels.rows, c = data.labels.cols, r = 16;
const options = { bits: r, imageAnchors: 25, textAnchors: 20, seed: 2 };
const inject = { imageAnchors: Array.from({ length: 25 }, (_, i) => 5 * i + 2), textAnchors: Array.from({ length: 20 }, (_, i) => 7 * i), V0: gaussians(r * n, 21), R0: orthogonal(r, 22) };
const relErr = (x: Mat, y: Mat) => maxAbsDiff(x.a, y.a) / Math.max(1e-300, maxAbs(y.a));
const [m1, m2] = await Promise.all([1, 2].map((iterations) => SCRATCH.fit(data, { ...options, iterations }, { inject, keepLatent: true })));
const o = m1.options;
const Phi = { image: naiveFeatures(m1.hashFunction('image'), data.image), text: naiveFeatures(m1.hashFunction('text'), data.text) };
const { L } = labelMats(data.labels);
const X = t(Phi.image), Y = t(Phi.text), Lc = t(L); // columns are samples inside train.m
const V0 = mat(r, n, inject.V0), R0 = mat(r, r, inject.R0);
const signGe = (m: Mat) => mat(m.rows, m.cols, m.a.map((v) => (v >= 0 ? 1 : -1)));
const lat = (m: typeof m1, name: string, rows: number, cols_: number) => mat(rows, cols_, m.latent![name] as ArrayLike<number>);

describe('SCRATCH kernel features (Main_Wiki.m + Kernelize.m)', () => {
  it('raw features are centred on the training mean first; anchors are centred training rows', () => {
    for (const [modality, rows] of [['image', inject.imageAnchors], ['text', inject.textAnchors]] as const) {
      const h = m1.hashFunction(modality), Xr = data[modality];
      for (let f = 0; f < h.dim; f++) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += Xr.data[i * h.dim + f] / n;
        expect(Math.abs(mean - h.inputMean![f])).toBeLessThan(1e-12);
      }
      rows.forEach((row, j) => {
        for (let f = 0; f < h.dim; f++) expect(Math.abs(h.anchors[j * h.dim + f] - (Xr.data[row * h.dim + f] - h.inputMean![f]))).toBeLessThan(1e-15);
      });
    }
  });
  it('sigma is the mean squared distance of the centred rows; features are centred (twice) on the training mean', () => {
    for (const modality of ['image', 'text'] as const) {
      const h = m1.hashFunction(modality), Xr = data[modality];
      let total = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < h.count; j++) {
          let d2 = 0;
          for (let f = 0; f < h.dim; f++) d2 += (Xr.data[i * h.dim + f] - h.inputMean![f] - h.anchors[j * h.dim + f]) ** 2;
          total += d2;
        }
      expect(Math.abs(h.sigma - total / (n * h.count)) / h.sigma).toBeLessThan(1e-12);
      const P = Phi[modality];
      for (let j = 0; j < h.count; j++) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += P.a[i * h.count + j] / n;
        expect(Math.abs(mean)).toBeLessThan(1e-15);
      }
    }
  });
});

describe('SCRATCH, one iteration step by step (injected V0, R0)', () => {
  const B1 = signGe(mul(R0, V0));
  const VVt = mul(V0, t(V0));
  const lx = o.lambdaImage, ly = 1 - o.lambdaImage;
  const UxT = solve(add(scale(VVt, lx), scale(identity(r), o.gamma)), scale(mul(V0, t(X)), lx));
  const UyT = solve(add(scale(VVt, ly), scale(identity(r), o.gamma)), scale(mul(V0, t(Y)), ly));
  const GT = solve(add(scale(VVt, o.alpha), scale(identity(r), o.gamma)), scale(mul(V0, t(Lc)), o.alpha));
  it('B = sign(R V) with R V >= 0 -> +1, and it is what iterations: 1 returns as training codes', () => {
    expect(Array.from(m1.latent!.B as Int8Array)).toEqual(Array.from(B1.a));
    const bits = codeBits(m1.trainingCodes);
    for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) expect(bits[i * r + j]).toBe(B1.a[j * n + i] > 0 ? 1 : 0);
  });
  it("Ux = lx X V' / (lx V V' + g I), Uy likewise, G = a L V' / (a V V' + g I)", () => {
    expect(relErr(lat(m1, 'UxT', r, o.imageAnchors), UxT)).toBeLessThan(1e-10);
    expect(relErr(lat(m1, 'UyT', r, o.textAnchors), UyT)).toBeLessThan(1e-10);
    expect(relErr(lat(m1, 'GT', r, c), GT)).toBeLessThan(1e-10);
  });
  it("Wx = mu V X' / (mu X X' + g I): the hash projection W = Wx'", () => {
    for (const [modality, M] of [['image', X], ['text', Y]] as const) {
      const h = m1.hashFunction(modality);
      const Wt = solve(add(scale(mul(M, t(M)), o.mu), scale(identity(h.count), o.gamma)), scale(mul(M, t(V0)), o.mu));
      expect(relErr(mat(h.count, r, h.W), Wt)).toBeLessThan(1e-9);
    }
  });
  it('V = (lx Ux\'Ux + ly Uy\'Uy + a G\'G + R\'R + (2 mu + g) I) \\ (lx Ux\'X + ly Uy\'Y + mu Wx X + mu Wy Y + a G\'L + R\'B)', () => {
    const Wx = t(mat(o.imageAnchors, r, m1.hashFunction('image').W)), Wy = t(mat(o.textAnchors, r, m1.hashFunction('text').W));
    const M = add(add(add(scale(mul(UxT, t(UxT)), lx), scale(mul(UyT, t(UyT)), ly)), add(scale(mul(GT, t(GT)), o.alpha), mul(t(R0), R0))), scale(identity(r), 2 * o.mu + o.gamma));
    const rhs = add(add(add(scale(mul(UxT, X), lx), scale(mul(UyT, Y), ly)), add(scale(mul(Wx, X), o.mu), scale(mul(Wy, Y), o.mu))), add(scale(mul(GT, Lc), o.alpha), mul(t(R0), B1)));
    expect(relErr(lat(m1, 'V', r, n), solve(M, rhs))).toBeLessThan(1e-9);
  });
  it("R = S1 S2' for [S1, ~, S2] = svd(B V'): orthogonal, and tr(R' K) is the nuclear norm of K = B V'", () => {
    const R1 = lat(m1, 'R', r, r), K = mul(B1, t(lat(m1, 'V', r, n)));
    expect(maxAbsDiff(mul(R1, t(R1)).a, identity(r).a)).toBeLessThan(1e-12);
    const nuclear = nuclearNorm(K);
    expect(Math.abs(trace(mul(t(R1), K)) - nuclear) / nuclear).toBeLessThan(1e-9);
    expect(maxAbsDiff(m1.hashFunction('image').rotation!, R1.a)).toBe(0);
  });
  it("query codes: XK_q Wx' R' >= 0 (projection, then rotation)", () => {
    const R1 = lat(m1, 'R', r, r);
    for (const modality of ['image', 'text'] as const) {
      const h = m1.hashFunction(modality);
      const z = mul(mul(Phi[modality], mat(h.count, r, h.W)), t(R1)), bits = codeBits(m1.encode(modality, data[modality]));
      for (let i = 0; i < z.a.length; i++) if (Math.abs(z.a[i]) > 1e-9) expect(bits[i]).toBe(z.a[i] >= 0 ? 1 : 0);
    }
  });
});

describe('SCRATCH, later iterations (computed in Gram space by the port) equal the direct step from the previous iteration', async () => {
  // The port never forms V after the first iteration: it keeps V = C X + D B and X X', B X', B B'
  // (updated from the flipped entries). Each fit's V and R must still be the direct step of train.m
  // applied to the V and R of the fit with one iteration fewer.
  const fits = await Promise.all([1, 2, 3, 4, 5, 6].map((iterations) => SCRATCH.fit(data, { ...options, iterations }, { inject, keepLatent: true })));
  const lx = o.lambdaImage, ly = 1 - o.lambdaImage;
  for (let k = 1; k < fits.length; k++) {
    it(`iteration ${k + 1} from iteration ${k}`, () => {
      const V = lat(fits[k - 1], 'V', r, n), R = lat(fits[k - 1], 'R', r, r), B = signGe(mul(R, V));
      expect(Array.from(fits[k].latent!.B as Int8Array)).toEqual(Array.from(B.a));
      const VVt = mul(V, t(V));
      const UxT = solve(add(scale(VVt, lx), scale(identity(r), o.gamma)), scale(mul(V, t(X)), lx));
      const UyT = solve(add(scale(VVt, ly), scale(identity(r), o.gamma)), scale(mul(V, t(Y)), ly));
      const GT = solve(add(scale(VVt, o.alpha), scale(identity(r), o.gamma)), scale(mul(V, t(Lc)), o.alpha));
      expect(relErr(lat(fits[k], 'UxT', r, o.imageAnchors), UxT)).toBeLessThan(1e-8);
      expect(relErr(lat(fits[k], 'GT', r, c), GT)).toBeLessThan(1e-8);
      const Wx = solve(add(scale(mul(X, t(X)), o.mu), scale(identity(o.imageAnchors), o.gamma)), scale(mul(X, t(V)), o.mu));
      const Wy = solve(add(scale(mul(Y, t(Y)), o.mu), scale(identity(o.textAnchors), o.gamma)), scale(mul(Y, t(V)), o.mu));
      expect(relErr(mat(o.imageAnchors, r, fits[k].hashFunction('image').W), Wx)).toBeLessThan(1e-8);
      const M = add(add(add(scale(mul(UxT, t(UxT)), lx), scale(mul(UyT, t(UyT)), ly)), add(scale(mul(GT, t(GT)), o.alpha), mul(t(R), R))), scale(identity(r), 2 * o.mu + o.gamma));
      const rhs = add(add(add(scale(mul(UxT, X), lx), scale(mul(UyT, Y), ly)), add(scale(mul(t(Wx), X), o.mu), scale(mul(t(Wy), Y), o.mu))), add(scale(mul(GT, Lc), o.alpha), mul(t(R), B)));
      const Vnext = solve(M, rhs);
      expect(relErr(lat(fits[k], 'V', r, n), Vnext)).toBeLessThan(1e-8);
      const Rnext = lat(fits[k], 'R', r, r), K = mul(B, t(Vnext)), nuclear = nuclearNorm(K);
      expect(maxAbsDiff(mul(Rnext, t(Rnext)).a, identity(r).a)).toBeLessThan(1e-12);
      expect(Math.abs(trace(mul(t(Rnext), K)) - nuclear) / nuclear).toBeLessThan(1e-8);
    });
  }
});

describe("SCRATCH's returned B is the one from the start of its last iteration", () => {
  it('iterations: 2 returns sign(R1 V1), not sign(R2 V2)', () => {
    const fromStart = signGe(mul(lat(m1, 'R', r, r), lat(m1, 'V', r, n)));
    const fromEnd = signGe(mul(lat(m2, 'R', r, r), lat(m2, 'V', r, n)));
    const bits = codeBits(m2.trainingCodes);
    let differ = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < r; j++) {
        expect(bits[i * r + j]).toBe(fromStart.a[j * n + i] > 0 ? 1 : 0);
        differ += fromEnd.a[j * n + i] !== fromStart.a[j * n + i] ? 1 : 0;
      }
    expect(differ).toBeGreaterThan(0); // so the check above tells the two apart
  });
  it('needs at least one iteration', async () => {
    await expect(SCRATCH.fit(data, { ...options, iterations: 0 })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });
});
