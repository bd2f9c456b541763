// Work on native threads never reads caller memory that can vanish (issue 10, items 3 and 4): a
// buffer shrunk, transferred away and collected, or a `data` getter answering a new array each
// time gives a coded error or the right answer, never a crash or a read of freed memory. Each case
// runs in its own process with --expose-gc; before the fix they died with SIGSEGV or, under
// AddressSanitizer, heap-use-after-free.
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/child.js';

const setup = `
const { ASCMH, datasets, evaluate } = lib;
const small = datasets.synthetic({ n: 400, seed: 1 });
const model = await ASCMH.fit(small, { bits: 32 });
// 40,000 x 128 float32 = 20 MB: above the size copied at once, so rows are streamed block by block.
const rows = 40000, cols = small.image.cols;
const base = datasets.synthetic({ n: rows, seed: 3 }).image.data;
const expected = model.encode('image', { rows, cols, data: base });
const same = (a, b) => a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);
const outcome = async (p) => {
  try {
    const r = await p;
    return r && r.data ? (same(r, expected) ? 'equal' : 'different') : 'resolved';
  } catch (e) {
    return e.code ?? String(e);
  }
};
const collect = () => { global.gc(); global.gc(); };
`;

async function scenario(body: string) {
  const r = await runScript(setup + body, { nodeArgs: ['--expose-gc'] });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(0);
  return r.lines.at(-1);
}

describe('async calls do not read memory the caller can take away', () => {
  it('encodeAsync: a resizable buffer shrunk to 0 bytes during the call', async () => {
    expect(await scenario(`
      const rab = new ArrayBuffer(base.byteLength, { maxByteLength: base.byteLength });
      const X = new Float32Array(rab); X.set(base);
      const p = model.encodeAsync('image', { rows, cols, data: X });
      rab.resize(0);
      print(await outcome(p));`)).toBe('ERR_ASCMH_INPUT_CHANGED');
  });

  it('encodeAsync: the buffer transferred away and garbage-collected during the call', async () => {
    expect(await scenario(`
      const X = Float32Array.from(base);
      const p = model.encodeAsync('image', { rows, cols, data: X });
      let moved = structuredClone(X.buffer, { transfer: [X.buffer] });
      moved = null; collect();
      print(await outcome(p));`)).toBe('ERR_ASCMH_INPUT_CHANGED');
  });

  it('encodeAsync: a small input is copied at once, so changing it afterwards changes nothing', async () => {
    expect(await scenario(`
      const X = Float32Array.from(base.subarray(0, 100 * cols));
      const want = model.encode('image', { rows: 100, cols, data: X });
      const p = model.encodeAsync('image', { rows: 100, cols, data: X });
      X.fill(0);
      let moved = structuredClone(X.buffer, { transfer: [X.buffer] }); moved = null; collect();
      print(same(await p, want) ? 'equal' : 'different');`)).toBe('equal');
  });

  it('encodeAsync: a data getter that returns a fresh copy each time', async () => {
    expect(await scenario(`
      const p = model.encodeAsync('image', { rows, cols, get data() { return base.slice(); } });
      collect();
      print(await outcome(p));`)).toBe('equal');
  });

  it('fit: the image buffer transferred away and collected during training', async () => {
    expect(await scenario(`
      const data = datasets.synthetic({ n: 40000, seed: 4 });
      const p = ASCMH.fit(data, { bits: 32 });
      let moved = structuredClone(data.image.data.buffer, { transfer: [data.image.data.buffer] });
      moved = null; collect();
      print(await outcome(p));`)).toBe('ERR_ASCMH_INPUT_CHANGED');
  });

  it('fit: the label buffer shrunk during training (labels are copied first)', async () => {
    expect(await scenario(`
      const data = datasets.synthetic({ n: 3000, seed: 4 });
      const want = await ASCMH.fit(data, { bits: 32 });
      const rab = new ArrayBuffer(data.labels.data.byteLength, { maxByteLength: data.labels.data.byteLength });
      const L = new Uint8Array(rab); L.set(data.labels.data);
      const p = ASCMH.fit({ ...data, labels: { ...data.labels, data: L } }, { bits: 32 });
      rab.resize(0); collect();
      print(same((await p).trainingCodes, want.trainingCodes) ? 'equal' : 'different');`)).toBe('equal');
  });

  it('fit: matrices whose data getters return fresh copies train exactly as plain ones', async () => {
    expect(await scenario(`
      const data = datasets.synthetic({ n: 3000, seed: 4 });
      const image = data.image.data, labels = data.labels.data;
      const a = await ASCMH.fit({
        image: { rows: data.image.rows, cols: data.image.cols, get data() { return image.slice(); } },
        text: data.text,
        labels: { rows: data.labels.rows, cols: data.labels.cols, get data() { return labels.slice(); } },
      }, { bits: 32 });
      const b = await ASCMH.fit(data, { bits: 32 });
      print(same(a.trainingCodes, b.trainingCodes) ? 'equal' : 'different');`)).toBe('equal');
  });

  it('averagePrecisionAsync and the async curves: query codes transferred away during the call', async () => {
    const out = await scenario(`
      const codes = model.encode('image', small.image);
      const args = () => ({ queries: { ...codes, data: codes.data.slice() }, database: codes, queryLabels: small.labels, databaseLabels: small.labels });
      const want = evaluate.averagePrecision(args());
      const a = args(), b = args(), c = args();
      const pending = [evaluate.averagePrecisionAsync(a), evaluate.precisionRecallAtNAsync({ ...b, ns: [5, 50] }), evaluate.precisionRecallByRadiusAsync(c)];
      for (const x of [a, b, c]) { let moved = structuredClone(x.queries.data.buffer, { transfer: [x.queries.data.buffer] }); moved = null; }
      collect();
      const [map, topN, radius] = await Promise.all(pending);
      const wantTopN = evaluate.precisionRecallAtN({ ...args(), ns: [5, 50] });
      print(map.map === want.map && topN.precision[1] === wantTopN.precision[1] && radius.recall.length === 33 ? 'equal' : 'different');`);
    expect(out).toBe('equal');
  });
});
