// A NUL byte cuts a path short in the C library: index.save(p + '\0.x') used to write p
// (issue 10, item 8). Every function that takes a path refuses it with ERR_ASCMH_PATH, before any
// file is touched; so do non-strings and the empty string.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ASCMH, CodesFileWriter, HammingIndex, NpyRowReader, datasets, listMatVariables, loadMatDataset, openDataset,
  readCodesFile, readFeatureFile, readLabelFile, readMat, readNpy, writeCodesFile,
} from '../../src/index.js';
import { scratchDir } from '../helpers/temp.js';

const codes = { count: 2, bits: 64, data: new Uint8Array(16) };

describe('paths with NUL bytes, non-strings and empty strings are refused', () => {
  it('by every reader and writer, and nothing is written', async () => {
    const dir = scratchDir();
    const bad = [join(dir, 'x') + '\0.tail', '', undefined, null, 42, {}];
    const model = await ASCMH.fit(datasets.synthetic({ n: 120, seed: 1 }), { bits: 16, imageAnchors: 20, textAnchors: 20 });
    const index = new HammingIndex({ bits: 64 });
    const calls: [string, (p: never) => unknown][] = [
      ['HammingIndex.save', (p) => index.save(p)],
      ['HammingIndex.load', (p) => HammingIndex.load(p)],
      ['model.save', (p) => model.save(p)],
      ['ASCMH.load', (p) => ASCMH.load(p)],
      ['writeCodesFile', (p) => writeCodesFile(p, codes)],
      ['CodesFileWriter.create', (p) => CodesFileWriter.create(p, 2, 64)],
      ['readCodesFile', (p) => readCodesFile(p, 64)],
      ['readNpy', (p) => readNpy(p)],
      ['NpyRowReader.open', (p) => NpyRowReader.open(p)],
      ['readMat', (p) => readMat(p)],
      ['listMatVariables', (p) => listMatVariables(p)],
      ['loadMatDataset', (p) => loadMatDataset(p)],
      ['openDataset', (p) => openDataset(p)],
      ['datasets.loadDataset', (p) => datasets.loadDataset(p)],
      ['readFeatureFile', (p) => readFeatureFile(p)],
      ['readLabelFile', (p) => readLabelFile(p)],
    ];
    for (const [name, call] of calls) {
      for (const path of bad) {
        let error: unknown;
        try {
          await call(path as never);
        } catch (e) {
          error = e;
        }
        expect(error, `${name}(${JSON.stringify(path)})`).toMatchObject({ code: 'ERR_ASCMH_PATH', name: 'AscmhError' });
      }
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the native index refuses them too, if called directly', async () => {
    const { native } = await import('../../src/core/native.js');
    const dir = scratchDir();
    const raw = new native.HammingIndex(64);
    expect(() => raw.save(join(dir, 'x') + '\0.idx')).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_PATH' }));
    expect(() => raw.load('')).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_PATH' }));
    expect(readdirSync(dir)).toEqual([]);
  });
});
