// Each ASCMH step of the trainer against a direct computation of the method page's formula.
import { describe, expect, it } from 'vitest';
import { ASCMH, datasets, unpackCode } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';
import { type Mat, add, at, frob2, identity, mat, maxAbs, maxAbsDiff, mul, naiveKernelFeatures, nuclearNorm, scale, solve, symmetricEigenvalues, t, trace } from '../helpers/naive.js';

const data = smallSet();
const n = data.labels.rows, c = data.labels.cols, r = 16;
const options = { bits: r, imageAnchors: 40, textAnchors: 30, seed: 3 };
const relErr = (x: Mat, y: Mat) => maxAbsDiff(x.a, y.a) / Math.max(1e-300, maxAbs(y.a));

// The steps are checked in both regimes of the reconstruction weight: the paper's 0.5, where
// C J is rank-deficient on labelled data (random completion), and the default 1e9, where the
// reconstruction term dominates and C J has full rank.
const regimes = [
  { name: "paper's lambda 0.5", options: { lambdaImage: 0.5, lambdaText: 0.5 }, rankDeficient: true },
  { name: 'default lambda', options: {}, rankDeficient: false },
];
for (const regime of regimes) {
  const [m0, m1] = await Promise.all([
    ASCMH.fit(data, { ...options, ...regime.options, iterations: 0 }, { keepLatent: true }),
    ASCMH.fit(data, { ...options, ...regime.options, iterations: 1 }, { keepLatent: true }),
  ]);
  const o = m1.options;

  const kernelFeatures = (modality: 'image' | 'text', centre = true) => naiveKernelFeatures(m1.hashFunction(modality), data[modality], centre);
  const Phi = { image: kernelFeatures('image'), text: kernelFeatures('text') };
  const Lm = mat(c, n), Gm = mat(c, n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let j = 0; j < c; j++) count += data.labels.data[i * c + j];
    for (let j = 0; j < c; j++)
      if (data.labels.data[i * c + j]) {
        Lm.a[j * n + i] = 1;
        Gm.a[j * n + i] = 1 / Math.sqrt(count);
      }
  }
  const asMat = (rows: number, cols: number, a: ArrayLike<number>) => mat(rows, cols, a);
  const V0 = asMat(r, n, m0.latent!.V), B0 = asMat(r, n, m0.latent!.B);
  const V1 = asMat(r, n, m1.latent!.V), B1 = asMat(r, n, m1.latent!.B), R1 = asMat(r, r, m1.latent!.R), M1 = asMat(r, c, m1.latent!.M);

  function checkLatent(V: Mat) {
    expect(maxAbsDiff(mul(V, t(V)).a, scale(identity(r), n).a) / n).toBeLessThan(1e-8);
    for (let i = 0; i < r; i++) expect(Math.abs(V.a.slice(i * n, (i + 1) * n).reduce((x, y) => x + y, 0)) / n).toBeLessThan(1e-8);
  }

  describe(`kernel features (${regime.name})`, () => {
    it('anchors are training rows, sigma is width x the mean sample-anchor distance, the mean is the training mean', () => {
      for (const [modality, width] of [['image', o.imageKernelWidth], ['text', o.textKernelWidth]] as const) {
        const h = m1.hashFunction(modality), X = data[modality];
        for (let j = 0; j < h.count; j++) {
          const anchor = Array.from(h.anchors.slice(j * h.dim, (j + 1) * h.dim));
          const found = Array.from({ length: n }, (_, i) => i).some((i) => maxAbsDiff(anchor, X.data.slice(i * h.dim, (i + 1) * h.dim)) === 0);
          expect(found).toBe(true);
        }
        let total = 0; // n <= 2000: the sigma sample is every training row
        for (let j = 0; j < h.count; j++)
          for (let i = 0; i < n; i++) {
            let d2 = 0;
            for (let f = 0; f < h.dim; f++) d2 += (X.data[i * h.dim + f] - h.anchors[j * h.dim + f]) ** 2;
            total += Math.sqrt(d2);
          }
        // ||x||^2 + ||a||^2 - 2 x.a is off by ~eps ||x||^2, so an anchor's distance to itself comes
        // out as up to ~1e-8 ||x|| instead of 0: about 1e-8 / n of the mean.
        expect(Math.abs(h.sigma - (width * total) / (n * h.count)) / h.sigma).toBeLessThan(1e-10);
        const raw = kernelFeatures(modality, false);
        for (let j = 0; j < h.count; j++) {
          const mean = raw.a.slice(j * n, (j + 1) * n).reduce((x, y) => x + y, 0) / n;
          expect(Math.abs(mean - h.mean[j])).toBeLessThan(1e-12);
        }
      }
    });
  });

  describe(`initialisation and invariants (${regime.name})`, () => {
    it('V V^T = n I and V 1 = 0 after initialisation and after an iteration', () => {
      checkLatent(V0);
      checkLatent(V1);
    });
    it('R is orthogonal and B is in {-1, +1}', () => {
      expect(maxAbsDiff(mul(R1, t(R1)).a, identity(r).a)).toBeLessThan(1e-12);
      for (const B of [B0, B1]) expect(B.a.every((v) => v === 1 || v === -1)).toBe(true);
    });
    it('training codes are B packed in the documented bit order', () => {
      for (let i = 0; i < n; i++) {
        const code = unpackCode(m1.trainingCodes, i);
        for (let j = 0; j < r; j++) expect(code[j]).toBe(at(B1, j, i));
      }
    });
    it(`C J is ${regime.rankDeficient ? 'rank-deficient, so the random completion path runs' : 'of full rank'}`, () => {
      if (regime.rankDeficient) expect(m1.history[0].latentRank).toBeLessThan(r);
      else expect(m1.history[0].latentRank).toBe(r);
    });
  });

  describe(`one iteration, step by step (${regime.name})`, () => {
    it('M-step: M = B L^T (L L^T + eps I)^-1', () => {
      const system = add(mul(Lm, t(Lm)), scale(identity(c), 1e-6));
      const expected = t(solve(system, t(mul(B0, t(Lm)))));
      expect(relErr(M1, expected)).toBeLessThan(1e-9);
    });
    it('R-step: R maximises tr(R K), K = (V G^T)(G B^T): tr(R K) equals the nuclear norm', () => {
      const K = mul(mul(V0, t(Gm)), mul(Gm, t(B0)));
      // K has rank <= c; its zero singular values come out of the naive eigen-solver as ~1e-8 noise.
      const w = symmetricEigenvalues(mul(t(K), K)).slice(r - c);
      const nuclear = w.reduce((s, x) => s + Math.sqrt(Math.max(0, x)), 0);
      expect(Math.abs(trace(mul(R1, K)) - nuclear) / nuclear).toBeLessThan(1e-9);
      expect(nuclearNorm(K)).toBeGreaterThanOrEqual(nuclear);
    });
    it('V-step: V maximises tr(V (C J)^T) over V V^T = n I, V 1 = 0', () => {
      let C = mat(r, n);
      for (const [modality, lambda] of [['image', o.lambdaImage], ['text', o.lambdaText]] as const) {
        const P = scale(mul(Phi[modality], t(V0)), 1 / n);
        C = add(C, scale(mul(t(P), Phi[modality]), lambda));
      }
      C = add(C, scale(mul(mul(t(R1), mul(B0, t(Gm))), Gm), r * o.alpha));
      for (let i = 0; i < r; i++) {
        const mean = C.a.slice(i * n, (i + 1) * n).reduce((x, y) => x + y, 0) / n;
        for (let j = 0; j < n; j++) C.a[i * n + j] -= mean;
      }
      const achieved = trace(mul(V1, t(C)));
      const w = symmetricEigenvalues(mul(C, t(C)));
      const top = w[w.length - 1];
      const all = w.reduce((s, x) => s + Math.sqrt(Math.max(0, x)), 0);
      // The optimum is sqrt(n) times the nuclear norm of C J. Directions whose eigenvalue is below the
      // rank tolerance (1e-8 of the largest) are completed randomly and may add nothing: each such
      // singular value is below 1e-4 of the largest. Both bounds allow for rounding (1e-9 relative).
      const dropped = w.filter((x) => x <= 1e-8 * top).length;
      expect(achieved).toBeGreaterThan(Math.sqrt(n) * (all * (1 - 1e-9) - dropped * 1e-4 * Math.sqrt(top)));
      expect(achieved).toBeLessThan(Math.sqrt(n) * all * (1 + 1e-9));
      // And V (C J)^T is symmetric, the hallmark of the Procrustes-type optimum.
      const VC = mul(V1, t(C));
      expect(maxAbsDiff(VC.a, t(VC).a) / maxAbs(VC.a)).toBeLessThan(1e-3);
    });
    it('B-step: B = sgn(r alpha R V G^T G + omega M L), keeping the old bit where it is 0', () => {
      const arg = add(scale(mul(mul(mul(R1, V1), t(Gm)), Gm), r * o.alpha), scale(mul(M1, Lm), o.omega));
      const tol = 1e-9 * maxAbs(arg.a);
      let compared = 0;
      for (let i = 0; i < arg.a.length; i++) {
        if (Math.abs(arg.a[i]) <= tol) {
          if (Math.abs(arg.a[i]) === 0) expect(B1.a[i]).toBe(B0.a[i]);
          continue;
        }
        expect(B1.a[i]).toBe(Math.sign(arg.a[i]));
        compared++;
      }
      expect(compared).toBeGreaterThan(arg.a.length * 0.9);
    });
    it('reported objective terms equal the direct formulas', () => {
      let recon = 0;
      for (const [modality, lambda] of [['image', o.lambdaImage], ['text', o.lambdaText]] as const) {
        const P = scale(mul(Phi[modality], t(V1)), 1 / n);
        recon += lambda * frob2(add(Phi[modality], mul(P, V1), -1));
      }
      const sim = o.alpha * frob2(add(mul(t(mul(R1, V1)), B1), scale(mul(t(Gm), Gm), r), -1));
      const label = o.omega * frob2(add(B1, mul(M1, Lm), -1));
      const h = m1.history[0];
      expect(Math.abs(h.reconstruction - recon) / recon).toBeLessThan(1e-7);
      expect(Math.abs(h.similarity - sim) / sim).toBeLessThan(1e-9);
      expect(Math.abs(h.label - label) / label).toBeLessThan(1e-9);
    });
    it('hash functions: (Phi Phi^T + lambda_h I) W = Phi B^T, and codes are sgn(W^T phi)', () => {
      for (const [modality, ridge] of [['image', o.ridgeImage], ['text', o.ridgeText]] as const) {
        const h = m1.hashFunction(modality);
        const W = mat(h.count, r, h.W);
        const lhs = mul(add(mul(Phi[modality], t(Phi[modality])), scale(identity(h.count), ridge)), W);
        expect(relErr(lhs, mul(Phi[modality], t(B1)))).toBeLessThan(1e-8);
        const Z = mul(t(Phi[modality]), W); // n x r
        const codes = m1.encode(modality, data[modality]);
        for (let i = 0; i < n; i++) {
          const code = unpackCode(codes, i);
          for (let j = 0; j < r; j++) if (Math.abs(at(Z, i, j)) > 1e-9) expect(code[j]).toBe(at(Z, i, j) >= 0 ? 1 : -1);
        }
      }
    });
  });
}

describe('initialisation', () => {
  // The products of the initial Gaussian matrix Y0 are either computed from a drawn Y0 or sampled
  // from their joint distribution (the cheaper one by default). In the paper's lambda regime V is
  // mostly the random completion, so the reconstruction term after one iteration depends on those
  // products; its mean over seeds must agree between the two. (Halving the Wishart part's degrees
  // of freedom moved it by 5.7 standard errors.) 16 bits takes Bartlett's decomposition, 64 bits
  // the direct Wishart draw.
  const reconstruction = async (set: typeof data, settings: object, initialisation: 'drawn' | 'sampled') => {
    const out: number[] = [];
    for (let seed = 0; seed < 40; seed++) out.push((await ASCMH.fit(set, { ...options, ...settings, seed }, { initialisation })).history[0].reconstruction);
    const mean = out.reduce((a, b) => a + b) / out.length;
    return { mean, variance: out.reduce((a, b) => a + (b - mean) ** 2, 0) / (out.length - 1) / out.length };
  };
  for (const bits of [16, 64]) {
    it(`sampled and drawn Y0 give the same distribution of the objective (${bits} bits)`, async () => {
      const settings = { bits, lambdaImage: 0.5, lambdaText: 0.5, iterations: 1 };
      const [drawn, sampled] = [await reconstruction(data, settings, 'drawn'), await reconstruction(data, settings, 'sampled')];
      expect(Math.abs(drawn.mean - sampled.mean) / Math.sqrt(drawn.variance + sampled.variance)).toBeLessThan(4);
    });
  }
  it('with a singular Gram matrix (duplicate anchors) sampling takes the pivoted factorisation, same distribution', async () => {
    // 60 distinct rows, each 4 times: 40 + 30 anchors from 240 rows repeat some rows.
    const base = datasets.synthetic({ n: 60, classes: 5, imageDim: 20, textDim: 8, multiLabel: true, seed: 2 });
    const rows = Array.from({ length: 240 }, (_, i) => i % 60);
    const set = datasets.selectRows(base, rows);
    const settings = { bits: 16, lambdaImage: 0.5, lambdaText: 0.5, iterations: 1 };
    const [drawn, sampled] = [await reconstruction(set, settings, 'drawn'), await reconstruction(set, settings, 'sampled')];
    expect(Math.abs(drawn.mean - sampled.mean) / Math.sqrt(drawn.variance + sampled.variance)).toBeLessThan(4);
  });
  it('rejects an unknown initialisation', async () => {
    await expect(ASCMH.fit(data, options, { initialisation: 'random' as 'drawn' })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });
});

describe('float32 path', () => {
  it('keeps V V^T = n I, V 1 = 0 and R orthogonal to single precision, with codes in {-1, +1}', async () => {
    // Single precision resolves fewer eigen-directions of C J (rank tolerance 1e-4), and the
    // rest are completed randomly: the constraints still hold, to float accuracy.
    for (const lambda of [{}, { lambdaImage: 0.5 }]) {
      const m = await ASCMH.fit(data, { ...options, ...lambda, iterations: 2, precision: 'float32' }, { keepLatent: true });
      const latent = m.latent!;
      const V = mat(r, n, Float64Array.from(latent.V));
      expect(maxAbsDiff(mul(V, t(V)).a, scale(identity(r), n).a) / n).toBeLessThan(1e-4);
      for (let i = 0; i < r; i++) expect(Math.abs(V.a.slice(i * n, (i + 1) * n).reduce((x, y) => x + y, 0)) / n).toBeLessThan(1e-5);
      const R = mat(r, r, Float64Array.from(latent.R));
      expect(maxAbsDiff(mul(R, t(R)).a, identity(r).a)).toBeLessThan(1e-5);
      expect(latent.B.every((b) => b === 1 || b === -1)).toBe(true);
      expect(m.history.at(-1)!.latentRank).toBeGreaterThan(0);
    }
  });
});

describe('determinism', () => {
  it('the same data, options and seed give bit-identical codes; another seed differs', async () => {
    const [m1, again] = await Promise.all([ASCMH.fit(data, { ...options, iterations: 1 }), ASCMH.fit(data, { ...options, iterations: 1 })]);
    expect(Buffer.from(again.trainingCodes.data).equals(Buffer.from(m1.trainingCodes.data))).toBe(true);
    const q = { rows: 20, cols: data.image.cols, data: data.image.data.subarray(0, 20 * data.image.cols) };
    expect(Buffer.from(again.encode('image', q).data).equals(Buffer.from(m1.encode('image', q).data))).toBe(true);
    const other = await ASCMH.fit(data, { ...options, iterations: 1, seed: 4 });
    expect(Buffer.from(other.trainingCodes.data).equals(Buffer.from(m1.trainingCodes.data))).toBe(false);
  });
});

describe('a training set larger than one feature block (16,384 rows)', () => {
  /** (F F^T + ridge I) W = F B^T for both modalities, with F the centred kernel features. */
  function expectRidgeSolution(model: ASCMH, set: typeof data) {
    const N = set.labels.rows, bits = model.options.bits;
    const B = mat(bits, N);
    for (let i = 0; i < N; i++) {
      const code = unpackCode(model.trainingCodes, i);
      for (let j = 0; j < bits; j++) B.a[j * N + i] = code[j];
    }
    for (const [modality, ridge] of [['image', model.options.ridgeImage], ['text', model.options.ridgeText]] as const) {
      const h = model.hashFunction(modality);
      const F = naiveKernelFeatures(h, set[modality]);
      const W = mat(h.count, bits, h.W);
      const lhs = mul(add(mul(F, t(F)), scale(identity(h.count), ridge)), W);
      expect(relErr(lhs, mul(F, t(B)))).toBeLessThan(1e-8);
    }
  }
  const labelGroups = (set: typeof data) =>
    new Set(Array.from({ length: set.labels.rows }, (_, i) => set.labels.data.subarray(i * set.labels.cols, (i + 1) * set.labels.cols).join())).size;

  it('Gram and features accumulated block by block give the exact ridge solution', async () => {
    // Few label groups: Phi B^T goes through the group sums; rows without labels tie in the
    // B-step and keep their own bits.
    const big = datasets.synthetic({ n: 17000, classes: 4, imageDim: 6, textDim: 3, seed: 8 });
    for (let i = 0; i < big.labels.rows; i += 7) big.labels.data.fill(0, i * 4, i * 4 + 4);
    expectRidgeSolution(await ASCMH.fit(big, { bits: 8, imageAnchors: 12, textAnchors: 10, iterations: 2 }), big);
  });
  it('with more label groups than a quarter of the rows, Phi B^T is taken item by item, same solution', async () => {
    const scattered = datasets.synthetic({ n: 300, classes: 12, imageDim: 6, textDim: 3, multiLabel: true, seed: 9 });
    expect(labelGroups(scattered) * 4).toBeGreaterThan(300);
    expectRidgeSolution(await ASCMH.fit(scattered, { bits: 8, imageAnchors: 12, textAnchors: 10, iterations: 2 }), scattered);
  });
});
