// The same checks on every trainer (issue 13): train(method, ...) and loadModel(path) work alike
// for ASCMH, BATCH, SCRATCH, DDASH and CSMH: off the main thread, progress, cancellation, determinism for a
// seed, the same coded errors for bad input, and a save/load round trip into the right class.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASCMH, BATCH, CSMH, DDASH, DDASH_DEFAULTS, METHODS, SCRATCH, type Method, type TrainingData, loadModel, train } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';
import { fileScratchDir } from '../helpers/temp.js';

const data = smallSet(160, 3);
const small = { bits: 16, imageAnchors: 20, textAnchors: 15 };
const classes = { ascmh: ASCMH, batch: BATCH, scratch: SCRATCH, ddash: DDASH, csmh: CSMH };
const iterationsOf = { ascmh: 5, batch: 6, scratch: 20, ddash: DDASH_DEFAULTS.iterations.default as number, csmh: 10 };
// DDASH has no kernel features: no anchors.
const kernel = (method: Method) => method !== 'ddash';
const anchors = (method: Method, image: number, text: number) => (kernel(method) ? { imageAnchors: image, textAnchors: text } : {});
const dir = fileScratchDir('ascmh-conformance-');
const same = (a: { data: Uint8Array }, b: { data: Uint8Array }) => Buffer.from(a.data).equals(Buffer.from(b.data));
// ASCMH stops early once converged; give it no tolerance so every method runs all its iterations.
const opts = (method: Method, extra: Record<string, unknown> = {}) => ({ bits: small.bits, ...anchors(method, small.imageAnchors, small.textAnchors), ...(method === 'ascmh' ? { tolerance: 0 } : {}), ...extra });
const fit = (method: Method, d: unknown, o: unknown, control?: unknown) => train(method, d as TrainingData, o as never, control as never);

describe.each(METHODS)('trainer conformance: %s', (method) => {
  it('train() returns the method\'s class, with codes for every training item', async () => {
    const m = await fit(method, data, opts(method));
    expect(m).toBeInstanceOf(classes[method]);
    expect(m.method).toBe(method);
    expect(m.trainingCodes).toMatchObject({ count: data.labels.rows, bits: 16 });
    expect(m.trainingCodes.data.length).toBe(data.labels.rows * 8);
  });
  it('is deterministic for a seed, and another seed gives other codes', async () => {
    const [a, b, other] = await Promise.all([fit(method, data, opts(method, { seed: 4 })), fit(method, data, opts(method, { seed: 4 })), fit(method, data, opts(method, { seed: 5 }))]);
    expect(same(a.trainingCodes, b.trainingCodes)).toBe(true);
    expect(same(a.encode('image', data.image), b.encode('image', data.image))).toBe(true);
    expect(same(a.encode('text', data.text), other.encode('text', data.text))).toBe(false);
  });
  it('reports progress once per iteration', async () => {
    const seen: number[] = [];
    await fit(method, data, opts(method), { onProgress: (p: { iteration: number; iterations: number }) => { seen.push(p.iteration); expect(p.iterations).toBe(iterationsOf[method]); } });
    expect(seen).toEqual(Array.from({ length: iterationsOf[method] }, (_, i) => i + 1));
  });
  it('reports each phase as it starts, in order, and times every iteration report', async () => {
    const events: { what: string | number; elapsed: number; remaining?: number; phase?: string }[] = [];
    const m = await fit(method, data, opts(method), {
      onPhase: (p: { phase: string; elapsed: number }) => events.push({ what: p.phase, elapsed: p.elapsed }),
      onProgress: (p: { iteration: number; phase: string; elapsed: number; remaining: number }) => events.push({ what: p.iteration, elapsed: p.elapsed, remaining: p.remaining, phase: p.phase }),
    });
    const n = iterationsOf[method];
    const iterations = Array.from({ length: n }, (_, i) => i + 1);
    // DDASH trains its networks in the iterations: it has no hash-functions phase.
    expect(events.map((e) => e.what)).toEqual(['features', 'iterations', ...iterations, ...(method === 'ddash' ? [] : ['hash-functions'])]);
    for (let i = 1; i < events.length; i++) expect(events[i].elapsed).toBeGreaterThanOrEqual(events[i - 1].elapsed);
    // The estimate: the mean time per iteration since the iterations phase began, times those left.
    const begun = events[1].elapsed;
    for (const e of events.filter((x) => typeof x.what === 'number')) {
      const i = e.what as number;
      expect(e.phase).toBe('iterations');
      expect(e.remaining!).toBeCloseTo(((e.elapsed - begun) / i) * (n - i), 6);
    }
    expect(m.history ?? []).toHaveLength(n); // phase starts are not iterations
  });
  it('rejects with what onPhase threw, and refuses an onPhase that is not a function', async () => {
    const boom = new Error('phase');
    await expect(fit(method, data, opts(method), { onPhase: () => { throw boom; } })).rejects.toBe(boom);
    await expect(fit(method, data, opts(method), { onPhase: 'no' })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });
  it('runs off the main thread: a timer fires during the fit', async () => {
    const big = smallSet(1500, 8);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await fit(method, big, opts(method, { bits: 64, ...anchors(method, 300, 300), iterations: kernel(method) ? 30 : 5 }));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
  it('can be cancelled: an AbortSignal rejects with ERR_ASCMH_CANCELLED; an aborted one before it starts', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const run = fit(method, data, opts(method, { iterations: 10000 }), { signal: controller.signal, onProgress: () => controller.abort(reason) });
    await expect(run).rejects.toMatchObject({ code: 'ERR_ASCMH_CANCELLED', name: 'AbortError', cause: reason });
    await expect(fit(method, data, opts(method), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ASCMH_CANCELLED' });
  });
  it('rejects with what onProgress threw, and stops', async () => {
    const boom = new Error('display failed');
    let calls = 0;
    await expect(fit(method, data, opts(method), { onProgress: () => { calls++; throw boom; } })).rejects.toBe(boom);
    expect(calls).toBe(1);
  });
  it('rejects bad input with the same coded errors as ASCMH', async () => {
    const text = { ...data.text, rows: 159, data: data.text.data.subarray(0, 159 * data.text.cols) };
    await expect(fit(method, { ...data, text }, opts(method))).rejects.toMatchObject({ code: 'ERR_ASCMH_SHAPE' });
    const nan = Float32Array.from(data.image.data);
    nan[7 * data.image.cols + 2] = NaN;
    await expect(fit(method, { ...data, image: { ...data.image, data: nan } }, opts(method))).rejects.toMatchObject({ code: 'ERR_ASCMH_NON_FINITE', message: expect.stringMatching(/image .*row 7, column 2/) });
    const labels = Uint8Array.from(data.labels.data);
    labels[3] = 2;
    await expect(fit(method, { ...data, labels: { ...data.labels, data: labels } }, opts(method))).rejects.toMatchObject({ code: 'ERR_ASCMH_LABELS' });
    await expect(fit(method, null, opts(method))).rejects.toMatchObject({ code: 'ERR_ASCMH_NOT_MATRIX' });
    for (const bits of [7, 1025, 16.5, 160]) await expect(fit(method, data, opts(method, { bits }))).rejects.toMatchObject({ code: 'ERR_ASCMH_BITS' });
    if (kernel(method)) {
      await expect(fit(method, data, opts(method, { imageAnchors: 161 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_ANCHORS' });
      await expect(fit(method, data, opts(method, { textAnchors: 0 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_ANCHORS' });
    } else {
      await expect(fit(method, data, opts(method, { imageAnchors: 20 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION', message: expect.stringMatching(/imageAnchors/) });
      await expect(fit(method, data, opts(method, { querySample: 161 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION', message: expect.stringMatching(/querySample/) });
      await expect(fit(method, data, opts(method, { hiddenText: 0 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    }
    await expect(fit(method, data, opts(method, { seed: -1 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    await expect(fit(method, data, opts(method, { precision: 'float16' }))).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    await expect(fit(method, data, opts(method, { bitz: 1 }))).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION', message: expect.stringMatching(/bitz/) });
    await expect(fit(method, data, opts(method), { signal: {} })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });
  it('saves and loads through loadModel into the same class, with the same codes and encodings', async () => {
    const m = await fit(method, data, opts(method, { seed: 9 }));
    const path = join(dir, `${method}.ascmh`);
    await m.save(path);
    const back = await loadModel(path);
    expect(back).toBeInstanceOf(classes[method]);
    expect(back.options).toEqual(m.options);
    expect(same(back.trainingCodes, m.trainingCodes)).toBe(true);
    for (const modality of ['image', 'text'] as const) {
      expect(same(back.encode(modality, data[modality]), m.encode(modality, data[modality]))).toBe(true);
      expect(same(await back.encodeAsync(modality, data[modality]), m.encode(modality, data[modality]))).toBe(true);
    }
  });
  it('float32 precision trains and encodes', async () => {
    const m = await fit(method, data, opts(method, { precision: 'float32' }));
    expect(m.encode('text', data.text).count).toBe(data.labels.rows);
  });
});

describe('train() and loadModel()', () => {
  it('an unknown method is refused with a coded error', async () => {
    expect(() => train('itq' as Method, data, small as never)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_METHOD' }));
  });
  it('each class refuses to load another method\'s file; loadModel reads them all', async () => {
    const path = join(dir, 'batch.ascmh');
    await (await BATCH.fit(data, small)).save(path);
    await expect(ASCMH.load(path)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_FORMAT', message: expect.stringMatching(/BATCH/) });
    expect(readdirSync(dir).length).toBeGreaterThan(0);
  });
});
