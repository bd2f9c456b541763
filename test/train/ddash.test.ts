// DDASH's steps against independent computations: the network's forward pass against a naive one
// and its gradient against finite differences; the similarity products, the batch loss and its
// gradient against an explicit n x n S; the B-step against its fixed-point condition with H and Q
// built naively; the W-step against its normal equations; the query sample, progress, cancellation,
// thread-count independence and the coded errors. The method: README, "DDASH".
import { describe, expect, it } from 'vitest';
import { DDASH, type DdashEpochProgress, type DdashProgress, type LabelMatrix, type Matrix, type MlpHashParameters, datasets, setThreads, threads } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { smallSet } from '../helpers/fixtures.js';
import { type Mat, frob2, mat, maxAbs, maxAbsDiff, mul, randomMat, t } from '../helpers/naive.js';

const internal = native._internal;
type Net = MlpHashParameters & { bits: number };

/** The network of encoders/mlp_hash.h, written out: standardise, ReLU layer, linear layer, tanh. */
function naiveForward(net: Net, X: Matrix): { Z: Mat; U: Mat } {
  const { dim: d, hidden: h, bits: r } = net;
  const Z = mat(X.rows, r);
  for (let i = 0; i < X.rows; i++) {
    const hid = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      let s = net.b1[j];
      for (let a = 0; a < d; a++) s += (X.data[i * d + a] - net.inputMean[a]) * net.inputScale[a] * net.W1[a * h + j];
      hid[j] = Math.max(0, s);
    }
    for (let k = 0; k < r; k++) {
      let s = net.b2[k];
      for (let j = 0; j < h; j++) s += hid[j] * net.W2[j * r + k];
      Z.a[i * r + k] = s;
    }
  }
  return { Z, U: mat(X.rows, r, Z.a.map(Math.tanh)) };
}

function randomNet(dim: number, hidden: number, bits: number, seed: number): Net {
  const v = (n: number, s: number, scale = 1, shift = 0) => Float64Array.from(randomMat(1, n, s).a, (x) => shift + scale * x);
  return { dim, hidden, bits, inputMean: v(dim, seed), inputScale: v(dim, seed + 1, 1, 1), W1: v(dim * hidden, seed + 2, 2), b1: v(hidden, seed + 3), W2: v(hidden * bits, seed + 4, 2), b2: v(bits, seed + 5) };
}

const f64 = (m: Mat): Matrix => ({ rows: m.rows, cols: m.cols, data: m.a });

describe('the hash network (encoders/mlp_hash.h, train/mlp_training.h)', () => {
  const net = randomNet(6, 5, 4, 100);
  const X = f64(randomMat(9, 6, 7));

  it('forward, with BLAS and without, equals the naive network', () => {
    const naive = naiveForward(net, X);
    for (const direct of [false, true]) {
      const out = internal.mlpForward(net, X, direct);
      expect(maxAbsDiff(out.Z, naive.Z.a)).toBeLessThan(1e-12);
      expect(maxAbsDiff(out.U, naive.U.a)).toBeLessThan(1e-14);
    }
  });

  it('the gradient of sum(C .* U) matches central finite differences in every parameter', () => {
    const C = randomMat(9, 4, 8).a;
    const f = (p: Net) => {
      const U = internal.mlpForward(p, X, false).U as Float64Array;
      return U.reduce((s, u, i) => s + C[i] * u, 0);
    };
    const grad = internal.mlpBackward(net, X, C);
    let checked = 0;
    for (const name of ['W1', 'b1', 'W2', 'b2'] as const) {
      const values = net[name] as Float64Array;
      for (let i = 0; i < values.length; i++) {
        const eps = 1e-6;
        const plus = { ...net, [name]: Float64Array.from(values) }, minus = { ...net, [name]: Float64Array.from(values) };
        (plus[name] as Float64Array)[i] += eps;
        (minus[name] as Float64Array)[i] -= eps;
        const fd = (f(plus) - f(minus)) / (2 * eps);
        expect(Math.abs(grad[name][i] - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
        checked++;
      }
    }
    expect(checked).toBe(6 * 5 + 5 + 5 * 4 + 4);
  });
});

/** The explicit graded similarity of the labels: S = (1 + rho) G G^T - rho, n x n. */
function explicitSimilarity(labels: LabelMatrix, rebalance = true): { S: Mat; rho: number } {
  const { rows: n, cols: c } = labels;
  const G = mat(n, c);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let j = 0; j < c; j++) count += labels.data[i * c + j];
    for (let j = 0; j < c; j++) if (labels.data[i * c + j]) G.a[i * c + j] = 1 / Math.sqrt(count);
  }
  const GG = mul(G, t(G));
  const sbar = GG.a.reduce((s, v) => s + v, 0) / (n * n);
  const rho = rebalance ? sbar / (1 - sbar) : 1;
  return { S: mat(n, n, GG.a.map((v) => (1 + rho) * v - rho)), rho };
}

const rowsOf = (m: Mat, rows: number[]) => mat(rows.length, m.cols, rows.flatMap((i) => Array.from(m.a.subarray(i * m.cols, (i + 1) * m.cols))));
const signs = (n: number, seed: number) => Float64Array.from(randomMat(1, n, seed).a, (v) => (v >= 0 ? 1 : -1));

describe('the graded similarity and the batch gradient (train/label_similarity.h, ddash_batch_gradient)', () => {
  const data = smallSet(40, 2); // multi-label, row 0 without a label
  const n = 40, r = 8, gamma = 3;
  const rows = [5, 0, 17, 39, 22];
  const B = mat(n, r, signs(n * r, 3));
  const U = mat(rows.length, r, randomMat(rows.length, r, 4).a.map((v) => 1.8 * v));
  const { S, rho } = explicitSimilarity(data.labels);
  const Sr = rowsOf(S, rows);
  const loss = (Um: Mat) => {
    const fit = mul(Um, t(B)).a.reduce((s, v, i) => s + (v - r * Sr.a[i]) ** 2, 0);
    const link = Um.a.reduce((s, v, i) => s + (rowsOf(B, rows).a[i] - v) ** 2, 0);
    return (fit + gamma * link) / n;
  };
  const out = internal.ddashSimilarity(data.labels, rows, B.a, U.a, { bits: r, gamma });

  it('rho, S_rows B, S_rows^T U and ||S_rows||^2 equal the explicit products', () => {
    expect(Math.abs(out.rho - rho)).toBeLessThan(1e-14);
    expect(maxAbsDiff(out.SB, mul(Sr, B).a)).toBeLessThan(1e-12);
    expect(maxAbsDiff(out.StU, mul(t(Sr), U).a)).toBeLessThan(1e-12);
    expect(Math.abs(out.norm2 - frob2(Sr)) / frob2(Sr)).toBeLessThan(1e-13);
  });

  it('the batch loss is (||U B^T - r S_b||^2 + gamma ||B_b - U||^2) / n and its gradient matches finite differences', () => {
    expect(Math.abs(out.loss - loss(U)) / loss(U)).toBeLessThan(1e-12);
    for (let i = 0; i < U.a.length; i++) {
      const eps = 1e-6, plus = mat(U.rows, r, U.a), minus = mat(U.rows, r, U.a);
      plus.a[i] += eps;
      minus.a[i] -= eps;
      const fd = (loss(plus) - loss(minus)) / (2 * eps);
      expect(Math.abs(out.gradient[i] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
  });

  it('single-label, rho is #similar / #dissimilar over all pairs (ADSH); without rebalancing rho = 1; one class for all: 0', () => {
    const single = datasets.synthetic({ n: 50, classes: 4, seed: 3 });
    const c = single.labels.cols;
    const cls = (i: number) => Array.from(single.labels.data.subarray(i * c, (i + 1) * c)).indexOf(1);
    let same = 0;
    for (let i = 0; i < 50; i++) for (let j = 0; j < 50; j++) same += cls(i) === cls(j) ? 1 : 0;
    const rowsAll = Array.from({ length: 50 }, (_, i) => i);
    const B1 = signs(50 * r, 9), U1 = randomMat(50, r, 10).a;
    expect(Math.abs(internal.ddashSimilarity(single.labels, rowsAll, B1, U1, { bits: r }).rho - same / (2500 - same))).toBeLessThan(1e-14);
    const plain = internal.ddashSimilarity(single.labels, rowsAll, B1, U1, { bits: r, rebalance: false });
    expect(plain.rho).toBe(1);
    expect(maxAbsDiff(plain.SB, mul(explicitSimilarity(single.labels, false).S, mat(50, r, B1)).a)).toBeLessThan(1e-12);
    const one = { rows: 50, cols: 1, data: new Uint8Array(50).fill(1) };
    expect(internal.ddashSimilarity(one, rowsAll, B1, U1, { bits: r }).rho).toBe(0);
  });
});

const bitsOf = (codes: { count: number; bits: number; data: Uint8Array }, i: number, k: number) => {
  const stride = Math.ceil(codes.bits / 64) * 8;
  return (codes.data[i * stride + (k >> 3)] >> (k & 7)) & 1 ? 1 : -1;
};

describe('a fit, step by step (keepLatent)', () => {
  const data = smallSet(160, 3);
  const n = 160, c = data.labels.cols, r = 16;
  const L = mat(n, c, data.labels.data);

  it('B-step: with H = U^T U + V^T V + mu W^T W and Q = r S^T (U + V) + gamma (U + V on Omega) + mu L W built naively, the codes are a DCC fixed point', async () => {
    const options = { bits: r, iterations: 2, mu: 40, gamma: 7, dccSweeps: 60, seed: 2 };
    const m = await DDASH.fit(data, options, { keepLatent: true });
    const lat = m.latent!;
    const U = mat(n, r, lat.U as Float64Array), V = mat(n, r, lat.V as Float64Array), Wp = mat(c, r, lat.Wprevious as Float64Array);
    expect(Array.from(lat.omega as Float64Array)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(maxAbs(Wp.a)).toBeGreaterThan(0); // the second B-step: W from the first W-step
    const { S } = explicitSimilarity(data.labels);
    const P = mat(n, r, U.a.map((u, i) => u + V.a[i]));
    const H = mul(t(U), U).a.map((v, i) => v + mul(t(V), V).a[i] + options.mu * mul(t(Wp), Wp).a[i]);
    const Q = mul(t(S), P).a.map((v, i) => r * v + options.gamma * P.a[i] + options.mu * mul(L, Wp).a[i]);
    const B = lat.B as Int8Array;
    for (let i = 0; i < n; i++)
      for (let k = 0; k < r; k++) {
        let others = 0;
        for (let j = 0; j < r; j++) if (j !== k) others += H[k * r + j] * B[i * r + j];
        expect(B[i * r + k]).toBe(Q[i * r + k] - others >= 0 ? 1 : -1);
        expect(bitsOf(m.trainingCodes, i, k)).toBe(B[i * r + k]);
      }
  });

  it('W-step: W satisfies its normal equations (mu B^T B + nu I) W^T = mu B^T L', async () => {
    const options = { bits: r, iterations: 3, mu: 2, nu: 0.5, seed: 1 };
    const m = await DDASH.fit(data, options, { keepLatent: true });
    const B = mat(n, r, m.latent!.B as Int8Array), W = mat(c, r, m.latent!.W as Float64Array);
    const A = mul(t(B), B).a.map((v, i) => options.mu * v + (i % (r + 1) === 0 ? options.nu : 0));
    const lhs = mul(mat(r, r, A), t(W)), rhs = mul(t(B), L).a.map((v) => options.mu * v);
    expect(maxAbsDiff(lhs.a, rhs) / maxAbs(rhs)).toBeLessThan(1e-12);
  });

  it('U and V of the last iteration are the trained networks\' outputs (project), whose signs are the encodings', async () => {
    const m = await DDASH.fit(data, { bits: r, iterations: 4, seed: 3 }, { keepLatent: true });
    for (const [modality, key] of [['image', 'U'], ['text', 'V']] as const) {
      const projected = m.project(modality, data[modality]);
      expect(projected).toMatchObject({ rows: n, cols: r });
      expect(maxAbsDiff(projected.data, m.latent![key] as Float64Array)).toBeLessThan(1e-12);
      expect(maxAbsDiff((await m.projectAsync(modality, data[modality])).data, projected.data)).toBe(0);
      const naive = naiveForward({ ...m.network(modality), bits: r }, data[modality]);
      expect(maxAbsDiff(projected.data, naive.U.a)).toBeLessThan(1e-12);
      const codes = m.encode(modality, data[modality]);
      for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) expect(bitsOf(codes, i, k)).toBe(naive.Z.a[i * r + k] >= 0 ? 1 : -1);
      // a few rows (the path without BLAS) give the same codes
      const few = { ...data[modality], rows: 5, data: data[modality].data.subarray(0, 5 * data[modality].cols) };
      expect(Array.from(m.encode(modality, few).data)).toEqual(Array.from(codes.data.subarray(0, 5 * 8)));
    }
  });

  it('the networks standardise with the training mean and std', async () => {
    const m = await DDASH.fit(data, { bits: r, iterations: 1 });
    const net = m.network('text'), d = data.text.cols;
    for (let a = 0; a < d; a++) {
      let mean = 0, sq = 0;
      for (let i = 0; i < n; i++) mean += data.text.data[i * d + a] / n;
      for (let i = 0; i < n; i++) sq += (data.text.data[i * d + a] - mean) ** 2 / n;
      expect(Math.abs(net.inputMean[a] - mean)).toBeLessThan(1e-6);
      expect(Math.abs(net.inputScale[a] * Math.sqrt(sq) - 1)).toBeLessThan(1e-6);
    }
  });

  it('a query sample below n: m distinct items per iteration, redrawn by the seed; U and V are its outputs', async () => {
    const opts = { bits: r, iterations: 3, querySample: 60, seed: 4 };
    const [a, b] = await Promise.all([DDASH.fit(data, opts, { keepLatent: true }), DDASH.fit(data, opts, { keepLatent: true })]);
    const omega = Array.from(a.latent!.omega as Float64Array);
    expect(omega).toHaveLength(60);
    expect(new Set(omega).size).toBe(60);
    expect(omega.every((i, k) => Number.isInteger(i) && i >= 0 && i < n && (k === 0 || i > omega[k - 1]))).toBe(true);
    expect(Array.from(b.latent!.omega as Float64Array)).toEqual(omega);
    expect(Buffer.from(a.trainingCodes.data).equals(Buffer.from(b.trainingCodes.data))).toBe(true);
    const rows = { rows: 60, cols: data.image.cols, data: Float32Array.from(omega.flatMap((i) => Array.from(data.image.data.subarray(i * data.image.cols, (i + 1) * data.image.cols)))) };
    expect(maxAbsDiff(a.project('image', rows).data, a.latent!.U as Float64Array)).toBeLessThan(1e-12);
    expect(a.options.querySample).toBe(60);
    expect((await DDASH.fit(data, { bits: r, iterations: 1 })).options.querySample).toBe(n);
  });
});

describe('DDASH fit control', () => {
  const data = smallSet(160, 5);

  it('reports every epoch of each network (image, then text) and every iteration', async () => {
    const epochs: DdashEpochProgress[] = [], iterations: DdashProgress[] = [];
    const m = await DDASH.fit(data, { bits: 16, iterations: 3, epochs: 2 }, { onEpoch: (p) => epochs.push(p), onProgress: (p) => iterations.push(p) });
    expect(epochs.map((p) => [p.iteration, p.epoch, p.modality])).toEqual([1, 2, 3].flatMap((it) => [1, 2].flatMap((e) => [[it, e, 'image'], [it, e, 'text']])));
    for (const p of epochs) expect(p).toMatchObject({ iterations: 3, epochs: 2, loss: expect.any(Number) });
    expect(epochs.every((p) => p.loss >= 0 && Number.isFinite(p.loss))).toBe(true);
    expect(iterations.map((p) => p.iteration)).toEqual([1, 2, 3]);
    expect(iterations.every((p) => Number.isFinite(p.objective) && Number.isInteger(p.changedBits))).toBe(true);
    // The history holds the reports without their timing (phase, elapsed, remaining).
    expect(m.history).toEqual(iterations.map(({ iterations: _i, phase: _p, elapsed: _e, remaining: _r, ...p }) => p));
  });

  it('cancels between mini-batches: an abort during the first epoch rejects before it ends', async () => {
    const big = datasets.synthetic({ n: 3000, classes: 5, imageDim: 500, textDim: 30, seed: 2 });
    const controller = new AbortController();
    let epochs = 0;
    const run = DDASH.fit(big, { bits: 64, iterations: 1, epochs: 1, batchSize: 1, hiddenImage: 1024 }, { signal: controller.signal, onEpoch: () => epochs++ });
    setTimeout(() => controller.abort(), 30);
    await expect(run).rejects.toMatchObject({ code: 'ERR_ASCMH_CANCELLED', name: 'AbortError' });
    expect(epochs).toBe(0);
  });

  it('an exception thrown by onEpoch stops the fit, which rejects with it', async () => {
    const boom = new Error('epoch display failed');
    await expect(DDASH.fit(data, { bits: 16 }, { onEpoch: () => { throw boom; } })).rejects.toBe(boom);
  });

  it('the codes and networks do not depend on the thread count', async () => {
    const before = threads();
    try {
      setThreads(1);
      const one = await DDASH.fit(data, { bits: 32, iterations: 4, seed: 6 });
      setThreads(2);
      const two = await DDASH.fit(data, { bits: 32, iterations: 4, seed: 6 });
      expect(Buffer.from(one.trainingCodes.data).equals(Buffer.from(two.trainingCodes.data))).toBe(true);
      expect(maxAbsDiff(one.network('image').W1, two.network('image').W1)).toBe(0);
      expect(maxAbsDiff(one.network('text').W2, two.network('text').W2)).toBe(0);
    } finally {
      setThreads(before.pool);
    }
  });
});

describe('DDASH refuses bad input with coded errors', () => {
  const data = smallSet(100, 7);
  const bad = (options: Record<string, unknown>, message: RegExp) =>
    expect(DDASH.fit(data, { bits: 16, ...options } as never)).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION', message: expect.stringMatching(message) });

  it('options out of range, of the wrong type, or unknown', async () => {
    await bad({ gamma: -1 }, /gamma/);
    await bad({ nu: 0 }, /nu/);
    await bad({ mu: Number.NaN }, /mu/);
    await bad({ epochs: 0 }, /epochs/);
    await bad({ batchSize: 2.5 }, /batchSize/);
    await bad({ learningRate: 0 }, /learningRate/);
    await bad({ finalLearningRate: -1e-4 }, /finalLearningRate/);
    await bad({ weightDecay: -1 }, /weightDecay/);
    await bad({ hiddenImage: 70000 }, /hiddenImage/);
    await bad({ dccSweeps: 101 }, /dccSweeps/);
    await bad({ querySample: 0 }, /querySample/);
    await bad({ querySample: 101 }, /querySample/);
    await bad({ querySample: '50' }, /querySample/);
    await bad({ signOutputsInQ: 1 }, /signOutputsInQ/);
    await bad({ iterations: 10001 }, /iterations/);
    await bad({ ridge: 1 }, /unknown DDASH option 'ridge'/);
    await expect(DDASH.fit(data, { bits: 16 }, { onEpoch: 3 } as never)).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION', message: expect.stringMatching(/onEpoch/) });
  });

  it('encode and project check the modality and the feature width', async () => {
    const m = await DDASH.fit(data, { bits: 16, iterations: 1 });
    expect(() => m.encode('image', data.text)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    expect(() => m.project('audio' as never, data.text)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_MODALITY' }));
    const nan = { ...data.text, data: Float32Array.from(data.text.data) };
    nan.data[3 * data.text.cols + 1] = Number.NaN;
    expect(() => m.encode('text', nan)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_NON_FINITE', message: expect.stringMatching(/text .*row 3, column 1/) }));
    await expect(m.projectAsync('text', nan)).rejects.toMatchObject({ code: 'ERR_ASCMH_NON_FINITE' });
  });
});
