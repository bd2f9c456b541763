// Model files of format version 1 (written before issue 13 tagged files with their method and
// encoder) still load, and ASCMH's numbers did not change: test/fixtures/models/ascmh-v1.* were
// written by the code of the version-1 layout (test/fixtures/make-model-fixtures.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASCMH, BATCH, CSMH, SCRATCH, datasets, loadModel } from '../../src/index.js';
import { MODEL_FORMAT_VERSION } from '../../src/io/model-file.js';
import { openModelFile } from '../helpers/forge.js';
import { scratchDir } from '../helpers/temp.js';
import { smallSet } from '../helpers/fixtures.js';

const fixture = new URL('../fixtures/models/ascmh-v1.ascmh', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(new URL('../fixtures/models/ascmh-v1.json', import.meta.url), 'utf8'));
const data = datasets.synthetic(expected.data);
const q = (m: 'image' | 'text') => ({ rows: expected.queries, cols: data[m].cols, data: data[m].data.subarray(0, expected.queries * data[m].cols) });
const hex = (c: { data: Uint8Array }) => Buffer.from(c.data).toString('hex');

describe('version 1 model files', () => {
  it('the fixture is a version 1 file', () => {
    expect(readFileSync(fixture).readUInt32LE(8)).toBe(1);
    expect(MODEL_FORMAT_VERSION).toBe(2);
  });
  it('load with ASCMH.load and with loadModel, and encode as when they were written', async () => {
    for (const model of [await ASCMH.load(fixture), await loadModel(fixture)]) {
      expect(model).toBeInstanceOf(ASCMH);
      expect(model.options).toEqual(expected.options);
      expect(hex(model.trainingCodes)).toBe(expected.trainingCodes);
      expect(hex(model.encode('image', q('image')))).toBe(expected.image);
      expect(hex(await model.encodeAsync('text', q('text')))).toBe(expected.text);
    }
  });
  it("ASCMH's numbers are unchanged: the same fit today gives the fixture's codes bit for bit", async () => {
    const again = await ASCMH.fit(data, expected.options);
    expect(hex(again.trainingCodes)).toBe(expected.trainingCodes);
    expect(hex(again.encode('image', q('image')))).toBe(expected.image);
    expect(hex(again.encode('text', q('text')))).toBe(expected.text);
  });
  it('a version 1 file re-saved is a version 2 file that loads the same', async () => {
    const dir = scratchDir('ascmh-compat-');
    const path = `${dir}/v2.ascmh`;
    await (await ASCMH.load(fixture)).save(path);
    expect(readFileSync(path).readUInt32LE(8)).toBe(2);
    const back = await loadModel(path);
    expect(back).toBeInstanceOf(ASCMH);
    expect(hex(back.encode('image', q('image')))).toBe(expected.image);
  });
  it('a version 1 header naming another method is refused', async () => {
    const dir = scratchDir('ascmh-compat-');
    const f = openModelFile(readFileSync(fixture));
    f.header.method = 'batch';
    writeFileSync(`${dir}/f.ascmh`, f.build());
    await expect(loadModel(`${dir}/f.ascmh`)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
  });
});

describe('version 2 files are checked against their method and encoder', () => {
  const small = smallSet(120, 2);
  const cases = [
    ['an unknown method', (h: Record<string, any>) => { h.method = 'itq'; }],
    ['a method with another encoder', (h: Record<string, any>) => { h.encoder = 'kernel-ridge'; }],
    ['a projection-rotation model without its rotation', (h: Record<string, any>) => { h.hash.image.rotation = false; }],
    ['an unknown sigma rule', (h: Record<string, any>) => { h.hash.text.sigmaRule = 'median'; }],
    ['an unknown threshold', (h: Record<string, any>) => { h.hash.text.threshold = 'half'; }],
    ['options out of range', (h: Record<string, any>) => { h.options.gamma = -1; }],
  ] as const;
  for (const [what, forge] of cases) {
    it(`refuses ${what}`, async () => {
      const dir = scratchDir('ascmh-compat-');
      await (await SCRATCH.fit(small, { bits: 16, imageAnchors: 10, textAnchors: 10, iterations: 2 })).save(`${dir}/s.ascmh`);
      const f = openModelFile(readFileSync(`${dir}/s.ascmh`));
      forge(f.header);
      writeFileSync(`${dir}/f.ascmh`, f.build());
      await expect(loadModel(`${dir}/f.ascmh`)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
    });
  }
  it('a BATCH file records its method, encoder, sigma rule and threshold', async () => {
    const dir = scratchDir('ascmh-compat-');
    await (await BATCH.fit(small, { bits: 16, imageAnchors: 10, textAnchors: 10 })).save(`${dir}/b.ascmh`);
    const f = openModelFile(readFileSync(`${dir}/b.ascmh`));
    expect(f.header).toMatchObject({ method: 'batch', encoder: 'kernel-ridge', hash: { image: { sigmaRule: 'mean-squared-distance', threshold: 'positive', inputMean: false, rotation: false } } });
  });
  it('a CSMH file is a version 2 file of the kernel-ridge encoder (z = W^T (phi - mean)); forged encoder or options are refused', async () => {
    const dir = scratchDir('ascmh-compat-');
    await (await CSMH.fit(small, { bits: 16, imageAnchors: 10, textAnchors: 10, iterations: 2 })).save(`${dir}/c.ascmh`);
    const bytes = readFileSync(`${dir}/c.ascmh`);
    expect(bytes.readUInt32LE(8)).toBe(2);
    const f = openModelFile(bytes);
    expect(f.header).toMatchObject({ method: 'csmh', encoder: 'kernel-ridge', hash: { image: { sigmaRule: 'mean-distance', threshold: 'nonnegative', inputMean: false, rotation: false } } });
    expect(await loadModel(`${dir}/c.ascmh`)).toBeInstanceOf(CSMH);
    for (const forge of [(h: Record<string, any>) => { h.encoder = 'kernel-projection-rotation'; }, (h: Record<string, any>) => { h.options.ridge = 0; }]) {
      const g = openModelFile(bytes);
      forge(g.header);
      writeFileSync(`${dir}/f.ascmh`, g.build());
      await expect(loadModel(`${dir}/f.ascmh`)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
    }
  });
});
