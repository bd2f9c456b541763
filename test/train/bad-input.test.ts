// Every bad input to fit gets an Error with a stable code, thrown before any work starts.
import { describe, expect, it } from 'vitest';
import { ASCMH } from '../../src/index.js';
import type { TrainingData } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';

const good = smallSet(120);
const opts = { bits: 16, imageAnchors: 20, textAnchors: 20 };
const withData = (patch: Partial<TrainingData>): TrainingData => ({ ...good, ...patch });
const rejects = (data: unknown, options: unknown, code: string, message?: RegExp) =>
  expect(ASCMH.fit(data as TrainingData, options as typeof opts)).rejects.toMatchObject({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });

describe('fit rejects bad input with a coded error', () => {
  it('rows of image, text and labels differ', async () => {
    const text = { ...good.text, rows: 119, data: good.text.data.subarray(0, 119 * good.text.cols) };
    await rejects(withData({ text }), opts, 'ERR_ASCMH_SHAPE', /same rows/);
  });
  it('zero rows', async () => {
    await rejects(withData({ image: { rows: 0, cols: 20, data: new Float32Array(0) } }), opts, 'ERR_ASCMH_EMPTY', /image has no rows/);
  });
  it('data length does not match rows * cols', async () => {
    await rejects(withData({ image: { ...good.image, cols: 21 } }), opts, 'ERR_ASCMH_SHAPE', /rows \* cols/);
  });
  it('NaN and Infinity name the matrix, row and column', async () => {
    for (const bad of [NaN, Infinity]) {
      const data = Float32Array.from(good.text.data);
      data[5 * good.text.cols + 3] = bad;
      await rejects(withData({ text: { ...good.text, data } }), opts, 'ERR_ASCMH_NON_FINITE', /text .* row 5, column 3/);
    }
  });
  it('the first non-finite value is found anywhere in a large matrix, in float32 and float64', async () => {
    // The scan tests blocks of 4,096 values at once: a value in a later block, or the last one.
    const rows = 3000, cols = 7, image = { rows, cols, data: new Float64Array(rows * cols) };
    const text = { rows, cols: 2, data: new Float32Array(rows * 2) };
    const labels = { rows, cols: 1, data: new Uint8Array(rows).fill(1) };
    for (const [at, bad] of [[rows * cols - 1, -Infinity], [2345 * cols + 6, NaN], [4096, Infinity]] as const) {
      image.data.fill(0.5);
      image.data[at] = bad;
      image.data[rows * cols - 1] = bad; // a later one too: the first is reported
      const row = Math.floor(at / cols);
      await rejects({ image, text, labels }, opts, 'ERR_ASCMH_NON_FINITE', new RegExp(`image .* row ${row}, column ${at - row * cols}$`));
    }
    image.data.fill(0.5);
    text.data[text.data.length - 1] = NaN;
    await rejects({ image, text, labels }, opts, 'ERR_ASCMH_NON_FINITE', new RegExp(`text .* row ${rows - 1}, column 1$`));
  });
  it('wrong dtypes', async () => {
    await rejects(withData({ image: { ...good.image, data: Array.from(good.image.data) as unknown as Float32Array } }), opts, 'ERR_ASCMH_DTYPE');
    await rejects(withData({ image: { ...good.image, data: new Int32Array(good.image.data.length) as unknown as Float32Array } }), opts, 'ERR_ASCMH_DTYPE');
    await rejects(withData({ labels: { ...good.labels, data: new Float32Array(good.labels.data.length) as unknown as Uint8Array } }), opts, 'ERR_ASCMH_DTYPE');
  });
  it('labels other than 0/1', async () => {
    const data = Uint8Array.from(good.labels.data);
    data[7] = 2;
    await rejects(withData({ labels: { ...good.labels, data } }), opts, 'ERR_ASCMH_LABELS');
  });
  it('a non-matrix', async () => {
    await rejects(withData({ image: 'pixels' as unknown as TrainingData['image'] }), opts, 'ERR_ASCMH_NOT_MATRIX');
    await rejects(withData({ image: { rows: -1, cols: 2, data: new Float32Array(0) } }), opts, 'ERR_ASCMH_NOT_MATRIX');
    await rejects(null, opts, 'ERR_ASCMH_NOT_MATRIX');
  });
  it('bits outside 8..1024, not an integer, or not below the training rows', async () => {
    for (const bits of [7, 1025, 16.5, '16', undefined]) await rejects(good, { ...opts, bits }, 'ERR_ASCMH_BITS');
    await rejects(good, { ...opts, bits: 128 }, 'ERR_ASCMH_BITS', /below the number of training rows/);
  });
  it('more anchors than training rows, or a non-positive count', async () => {
    await rejects(good, { ...opts, imageAnchors: 121 }, 'ERR_ASCMH_ANCHORS', /more than the training rows/);
    await rejects(good, { ...opts, textAnchors: 0 }, 'ERR_ASCMH_ANCHORS');
  });
  it('bad hyper-parameters and unknown options', async () => {
    await rejects(good, { ...opts, alpha: -1 }, 'ERR_ASCMH_OPTION');
    await rejects(good, { ...opts, ridge: 0 }, 'ERR_ASCMH_OPTION');
    await rejects(good, { ...opts, iterations: 2.5 }, 'ERR_ASCMH_OPTION');
    await rejects(good, { ...opts, seed: -3 }, 'ERR_ASCMH_OPTION');
    await rejects(good, { ...opts, tolerance: -1 }, 'ERR_ASCMH_OPTION');
    await rejects(good, { ...opts, precision: 'float16' }, 'ERR_ASCMH_OPTION');
    await rejects(good, { ...opts, bitz: 3 }, 'ERR_ASCMH_OPTION', /unknown option 'bitz'/);
  });
  it('a label row with no label is allowed', async () => {
    const labels = { ...good.labels, data: Uint8Array.from(good.labels.data) };
    labels.data.fill(0, 0, 10 * labels.cols);
    const model = await ASCMH.fit({ ...good, labels }, opts);
    expect(model.trainingCodes.count).toBe(120);
  });
  it('the caller’s arrays are left unchanged', async () => {
    const before = Buffer.from(good.image.data.buffer.slice(0));
    await ASCMH.fit(good, opts);
    expect(Buffer.from(good.image.data.buffer).equals(before)).toBe(true);
  });
});

describe('progress, cancellation and the event loop', () => {
  it('reports every iteration with the three objective terms', async () => {
    const seen: number[] = [];
    const model = await ASCMH.fit(good, { ...opts, iterations: 4, tolerance: 0 }, {
      onProgress: (p) => {
        seen.push(p.iteration);
        expect(p.iterations).toBe(4);
        for (const v of [p.reconstruction, p.similarity, p.label]) expect(Number.isFinite(v)).toBe(true);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(model.history).toHaveLength(4);
  });
  it('an AbortSignal cancels within one iteration with an AbortError', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = ASCMH.fit(good, { ...opts, iterations: 500, tolerance: 0 }, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.iteration);
        if (p.iteration === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', code: 'ERR_ASCMH_CANCELLED' });
    expect(seen.length).toBeLessThan(500);
  });
  it('stops early once converged, and says so', async () => {
    const model = await ASCMH.fit(good, { ...opts, iterations: 200 });
    expect(model.converged).toBe(true);
    expect(model.history.length).toBeLessThan(200);
    expect(model.history.at(-1)!.changedBits).toBe(0);
    const all = await ASCMH.fit(good, { ...opts, iterations: 12, tolerance: 0 });
    expect(all.history).toHaveLength(12);
    expect(all.converged).toBe(false);
  });
  it('an already-aborted signal rejects at once', async () => {
    await expect(ASCMH.fit(good, opts, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ASCMH_CANCELLED' });
  });
  it('training runs off the main thread: timers keep firing during a fit', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const big = smallSet(1500, 9);
    await ASCMH.fit(big, { bits: 64, imageAnchors: 600, textAnchors: 600, iterations: 30, tolerance: 0 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });
});
