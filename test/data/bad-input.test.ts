// Inputs that used to give an empty result, NaN, zeros or an uncoded RangeError / TypeError
// (issue 10, item 14) now give a coded error that names the problem.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASCMH, datasets, encodeNpy, evaluate, pickRows, runExperiment, sliceRows } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { thrown } from '../helpers/naive.js';
import { scratchDir } from '../helpers/temp.js';

const coded = (code: string) => expect.objectContaining({ code, name: 'AscmhError' });

function datasetFolder(split: unknown): string {
  const dir = scratchDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'img.npy'), encodeNpy(new Float32Array(40), [10, 4]));
  writeFileSync(join(dir, 'txt.npy'), encodeNpy(new Float32Array(30), [10, 3]));
  writeFileSync(join(dir, 'labels.npy'), encodeNpy(new Uint8Array(20).fill(1), [10, 2]));
  writeFileSync(join(dir, 'split.json'), JSON.stringify(split));
  return dir;
}

describe('dataset folders', () => {
  it('a reversed range, a range past the rows, a 5e9 range, an empty part, null parts and a null split are refused', async () => {
    const good = { train: { start: 0, stop: 6 }, query: { start: 6, stop: 8 }, database: { start: 0, stop: 6 } };
    expect((await datasets.loadDataset(datasetFolder(good))).split.query).toEqual([6, 7]);
    for (const split of [
      { ...good, query: { start: 8, stop: 6 } },
      { ...good, query: { start: 6, stop: 11 } },
      { ...good, train: { start: 0, stop: 5e9 } },
      { ...good, query: { start: 6, stop: 6 } },
      { ...good, query: [] },
      { ...good, database: null },
      { ...good, train: [0, 1.5] },
      null,
      [1, 2],
      7,
    ]) {
      await expect(datasets.loadDataset(datasetFolder(split)), JSON.stringify(split)).rejects.toEqual(coded('ERR_ASCMH_DATASET'));
    }
  });

  it('row selection refuses indices outside the matrix instead of returning zeros', () => {
    const data = datasets.synthetic({ n: 10, seed: 1 });
    for (const rows of [[10], [-1], [0.5], [NaN], ['1' as never]]) {
      expect(thrown(() => datasets.selectRows(data, rows)), String(rows)).toEqual(coded('ERR_ASCMH_ROWS'));
      expect(thrown(() => pickRows(data.image, rows))).toEqual(coded('ERR_ASCMH_ROWS'));
    }
    expect(thrown(() => sliceRows(data.image, 5, 3))).toEqual(coded('ERR_ASCMH_ROWS'));
    expect(thrown(() => sliceRows(data.image, 0, 11))).toEqual(coded('ERR_ASCMH_ROWS'));
    expect(datasets.selectRows(data, [9, 0]).labels.rows).toBe(2);
  });
});

describe('generators and splits', () => {
  it('huge or malformed sizes are refused before anything is allocated', () => {
    expect(thrown(() => datasets.synthetic({ n: 1e9, imageDim: 1e6 }))).toEqual(coded('ERR_ASCMH_TOO_LARGE'));
    expect(thrown(() => datasets.nusWideLike({ n: 1e8 }))).toEqual(coded('ERR_ASCMH_TOO_LARGE'));
    expect(thrown(() => datasets.synthetic({ n: -5 }))).toEqual(coded('ERR_ASCMH_OPTION'));
    expect(thrown(() => datasets.synthetic({ n: '100' as never }))).toEqual(coded('ERR_ASCMH_OPTION'));
    expect(thrown(() => datasets.synthetic(null as never))).toEqual(coded('ERR_ASCMH_OPTION'));
    expect(thrown(() => datasets.nusWideLike({ imageDim: 0 }))).toEqual(coded('ERR_ASCMH_OPTION'));
  });

  it('splitQueries(null) and a set without labels are coded errors', () => {
    expect(thrown(() => datasets.splitQueries(null as never, 5))).toEqual(coded('ERR_ASCMH_NOT_MATRIX'));
    expect(thrown(() => datasets.splitQueries({} as never, 5))).toEqual(coded('ERR_ASCMH_NOT_MATRIX'));
    const data = datasets.synthetic({ n: 20, seed: 1 });
    expect(thrown(() => datasets.splitQueries({ ...data, text: { ...data.text, rows: 19 } }, 5))).toEqual(coded('ERR_ASCMH_SHAPE'));
  });

  it('runExperiment with zero seeds is refused instead of returning NaN rows', async () => {
    const { train, query } = datasets.splitQueries(datasets.synthetic({ n: 150, seed: 1 }), 30);
    const spec = { train, query, bits: [16], protocol: 'train-codes' as const, options: { imageAnchors: 20, textAnchors: 20 } };
    for (const seeds of [0, -1, 1.5, NaN]) await expect(runExperiment({ ...spec, seeds })).rejects.toEqual(coded('ERR_ASCMH_OPTION'));
    await expect(runExperiment({ ...spec, seeds: 1, bits: [] })).rejects.toEqual(coded('ERR_ASCMH_BITS'));
    const [row] = await runExperiment({ ...spec, seeds: 1 });
    expect(Number.isFinite(row.i2t)).toBe(true);
  });
});

describe('numbers the native side would have cast out of range (UBSan: float-cast-overflow)', () => {
  const codes = { count: 2, bits: 16, data: new Uint8Array(16) };
  const labels = { rows: 2, cols: 1, data: new Uint8Array([1, 1]) };
  it('top: 1e300 and top: 2^60 are refused, in TS and at the native boundary', () => {
    for (const top of [1e300, 2 ** 60, Infinity]) {
      expect(thrown(() => evaluate.averagePrecision({ queries: codes, database: codes, queryLabels: labels, databaseLabels: labels, top }))).toEqual(coded('ERR_ASCMH_OPTION'));
      expect(thrown(() => native.meanAveragePrecision({ queries: codes.data, queryCount: 2, database: codes.data, databaseCount: 2, bits: 16, queryLabels: labels, databaseLabels: labels, top }))).toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    }
    expect(thrown(() => native.meanAveragePrecision({ queries: codes.data, queryCount: 1e300, database: codes.data, databaseCount: 2, bits: 16, queryLabels: labels, databaseLabels: labels }))).toMatchObject({ code: 'ERR_ASCMH_CODES' });
  });

  it('encoding zero rows gives zero codes, in both forms', async () => {
    const model = await ASCMH.fit(datasets.synthetic({ n: 120, seed: 1 }), { bits: 16, imageAnchors: 20, textAnchors: 20 });
    const empty = { rows: 0, cols: model.dimension('image'), data: new Float32Array(0) };
    expect(model.encode('image', empty)).toMatchObject({ count: 0, data: new Uint8Array(0) });
    expect(await model.encodeAsync('image', empty)).toMatchObject({ count: 0, data: new Uint8Array(0) });
  });

  it('a native fit on fewer rows than the default anchor count takes every row as an anchor (was a heap overflow)', async () => {
    const data = datasets.synthetic({ n: 60, imageDim: 6, textDim: 4, seed: 3 });
    for (const fit of [native.fit, native.fitBatch, native.fitScratch]) {
      const out = await fit(data.image, data.text, data.labels, { bits: 8, iterations: 1 }).promise;
      expect(out.kernels.map((k: { count: number }) => k.count)).toEqual([60, 60]);
      expect(out.kernels[0].anchors.length).toBe(60 * 6);
    }
  });

  it('options that do not fit the native types are refused at the native boundary', () => {
    const data = datasets.synthetic({ n: 50, seed: 1 });
    for (const bad of [{ bits: 1e300 }, { bits: 16, seed: 2 ** 64 }, { bits: 16, iterations: 1e12 }, { bits: 16, imageAnchors: 1e20 }, { bits: 16, alpha: NaN }]) {
      expect(thrown(() => native.fit(data.image, data.text, data.labels, bad))).toHaveProperty('code');
    }
  });
});
