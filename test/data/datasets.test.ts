import { writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASCMH, datasets, evaluate } from '../../src/index.js';
import { encodeNpy } from '../../src/io/npy.js';
import { SHARED_DATA } from '../helpers/fixtures.js';
import { fileScratchDir } from '../helpers/temp.js';

describe('synthetic data', () => {
  it('is deterministic for a seed and has the asked shapes', () => {
    const a = datasets.synthetic({ n: 50, classes: 4, imageDim: 9, textDim: 5, multiLabel: true, seed: 3 });
    const b = datasets.synthetic({ n: 50, classes: 4, imageDim: 9, textDim: 5, multiLabel: true, seed: 3 });
    expect(a.image).toMatchObject({ rows: 50, cols: 9 });
    expect(a.text).toMatchObject({ rows: 50, cols: 5 });
    expect(a.labels).toMatchObject({ rows: 50, cols: 4 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    for (let i = 0; i < 50; i++) expect(a.labels.data.subarray(i * 4, i * 4 + 4).some((v) => v === 1)).toBe(true);
  });
  it('is realistic enough that mAP rises with code length', async () => {
    const data = datasets.synthetic({ n: 2500, classes: 10, imageDim: 64, textDim: 24, multiLabel: true, seed: 11 });
    const { train, query } = datasets.splitQueries(data, 300);
    const score = async (bits: number) => {
      let sum = 0;
      for (const seed of [0, 1]) {
        const model = await ASCMH.fit(train, { bits, seed, imageAnchors: 400, textAnchors: 400 });
        const r = await evaluate.evaluateCrossModal(model, query, train, 'train-codes');
        sum += r.imageToText + r.textToImage;
      }
      return sum / 4;
    };
    const [m16, m128] = [await score(16), await score(128)];
    expect(m128).toBeGreaterThan(m16 + 0.02);
  });
});

describe('dataset folders', () => {
  it('loads img/txt/labels/split and rejects a folder that is not a dataset', async () => {
    const dir = fileScratchDir('ascmh-ds-');
    writeFileSync(join(dir, 'img.npy'), encodeNpy(new Float32Array(12), [4, 3]));
    writeFileSync(join(dir, 'txt.npy'), encodeNpy(new Float32Array(8), [4, 2]));
    writeFileSync(join(dir, 'labels.npy'), encodeNpy(Uint8Array.from([1, 0, 0, 1, 1, 1, 0, 1]), [4, 2]));
    writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: { start: 0, stop: 3 }, query: [3], database: { start: 0, stop: 3 } }));
    const ds = await datasets.loadDataset(dir);
    expect(ds.split).toEqual({ train: [0, 1, 2], query: [3], database: [0, 1, 2] });
    expect(ds.image).toMatchObject({ rows: 4, cols: 3 });
    await expect(datasets.loadDataset(tmpdir())).rejects.toMatchObject({ code: 'ERR_ASCMH_FILE' });
    writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: { start: 0, stop: 9 }, query: [3], database: [0] }));
    await expect(datasets.loadDataset(dir)).rejects.toMatchObject({ code: 'ERR_ASCMH_DATASET' });
  });
  it.skipIf(!existsSync(join(SHARED_DATA, 'wiki')))('loads the real Wiki set (needs ../shared/data/wiki)', async () => {
    const ds = await datasets.loadDataset(join(SHARED_DATA, 'wiki'));
    expect(ds.image).toMatchObject({ rows: 2866, cols: 128 });
    expect(ds.text).toMatchObject({ rows: 2866, cols: 10 });
    expect(ds.split.train).toHaveLength(2173);
    expect(ds.split.query).toHaveLength(693);
  });
});

describe('NUS-WIDE-shaped data', () => {
  it('has the shape, sparsity and multi-label structure it promises', () => {
    const d = datasets.nusWideLike({ n: 2000, concepts: 21, seed: 4 });
    expect(d.image).toMatchObject({ rows: 2000, cols: 500 });
    expect(d.text).toMatchObject({ rows: 2000, cols: 1000 });
    expect(d.labels).toMatchObject({ rows: 2000, cols: 21 });
    let imageNonZero = 0, labelsTotal = 0;
    const freq = new Array(21).fill(0);
    for (let i = 0; i < 2000; i++) {
      let rowSum = 0, rowLabels = 0;
      for (let j = 0; j < 500; j++) {
        const v = d.image.data[i * 500 + j];
        expect(v).toBeGreaterThanOrEqual(0);
        rowSum += v;
        imageNonZero += v > 0 ? 1 : 0;
      }
      expect(rowSum).toBeCloseTo(1, 5);
      for (let c = 0; c < 21; c++) {
        rowLabels += d.labels.data[i * 21 + c];
        freq[c] += d.labels.data[i * 21 + c];
      }
      expect(rowLabels).toBeGreaterThanOrEqual(1);
      expect(rowLabels).toBeLessThanOrEqual(4);
      labelsTotal += rowLabels;
    }
    expect(imageNonZero / (2000 * 500)).toBeLessThan(0.5);
    expect(labelsTotal / 2000).toBeGreaterThan(1.3);
    expect(freq[0]).toBeGreaterThan(5 * freq[20]);
    expect(d.text.data.every((v) => v === 0 || v === 1)).toBe(true);
  });
});

describe('validation split inside the training part', () => {
  // 30 rows; train = rows 0-19 (shuffled order in split.train), query 20-29. Each row's image
  // feature is its row number, so the picked data can be checked against the row lists.
  const n = 30;
  const ds: datasets.Dataset = {
    name: 'toy',
    image: { rows: n, cols: 1, data: Float32Array.from({ length: n }, (_, i) => i) },
    text: { rows: n, cols: 2, data: Float32Array.from({ length: 2 * n }, (_, i) => i) },
    labels: { rows: n, cols: 2, data: Uint8Array.from({ length: 2 * n }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)) },
    split: { train: [5, 3, 0, 19, 1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], query: Array.from({ length: 10 }, (_, i) => 20 + i), database: [] },
  };
  it('partitions the training rows only, with data matching the row lists, the same for a seed', () => {
    const a = datasets.validationSplit(ds, { size: 6, seed: 7 });
    expect(a.validationRows).toHaveLength(6);
    expect(a.fitRows).toHaveLength(14);
    expect([...a.validationRows, ...a.fitRows].sort((x, y) => x - y)).toEqual([...ds.split.train].sort((x, y) => x - y));
    expect(Array.from(a.validation.image.data)).toEqual(a.validationRows);
    expect(Array.from(a.fit.image.data)).toEqual(a.fitRows);
    expect(Array.from(a.fit.labels.data)).toEqual(a.fitRows.flatMap((r) => [ds.labels.data[2 * r], ds.labels.data[2 * r + 1]]));
    expect(datasets.validationSplit(ds, { size: 6, seed: 7 }).validationRows).toEqual(a.validationRows);
    expect(datasets.validationSplit(ds, { size: 6, seed: 8 }).validationRows).not.toEqual(a.validationRows);
  });
  it('draws every training row into the validation part about equally often over seeds', () => {
    const counts = new Map<number, number>();
    const seeds = 4000;
    for (let seed = 0; seed < seeds; seed++) for (const r of datasets.validationSplit(ds, { size: 5, seed }).validationRows) counts.set(r, (counts.get(r) ?? 0) + 1);
    // Expected 4000 * 5/20 = 1000 each; binomial std ~27, so 850-1150 is > 5 std.
    for (const r of ds.split.train) expect(counts.get(r)).toBeGreaterThan(850);
    for (const r of ds.split.train) expect(counts.get(r)).toBeLessThan(1150);
  });
  it('refuses sizes that leave no validation or no fit rows', () => {
    for (const size of [0, 20, 2.5, -1]) expect(() => datasets.validationSplit(ds, { size })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_OPTION' }));
    expect(() => datasets.validationSplit({} as datasets.Dataset)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DATASET' }));
  });
});
