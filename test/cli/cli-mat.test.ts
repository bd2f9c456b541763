// .mat datasets through the command line: a level-5 and a v7.3 file (made by
// test/fixtures/make-dataset-mat.py) give the same model as the same numbers in a .npy folder.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ASCMH } from '../../src/index.js';
import { loadMatDataset, openDataset, readFeatureFile, readLabelFile } from '../../src/io/data-files.js';
import { encodeNpy } from '../../src/io/npy.js';
import { run, tempDir, userError } from '../helpers/cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/datasets/${name}`, import.meta.url));
const SMALL = ['--image-anchors', '30', '--text-anchors', '30'];

/** The formula of make-dataset-mat.py, rows [start, start + rows). */
function part(start: number, rows: number) {
  const image = new Float64Array(rows * 6), text = new Float32Array(rows * 4), labels = new Uint8Array(rows * 4);
  for (let r = 0; r < rows; r++) {
    const i = start + r, cls = i % 4;
    for (let j = 0; j < 6; j++) image[r * 6 + j] = ((i * 7 + j * 3) % 11) / 4 + (j === cls ? 2 : 0);
    for (let j = 0; j < 4; j++) text[r * 4 + j] = ((i * 5 + j) % 7) / 8 + (j === cls ? 1 : 0);
    labels[r * 4 + cls] = 1;
  }
  return { image, text, labels };
}

describe('.mat datasets', () => {
  it('level 5 and v7.3 files read as the formula says, class numbers become one-hot', async () => {
    for (const name of ['tiny.mat', 'tiny-v73.mat']) {
      const ds = await openDataset(fixture(name));
      expect(ds.name).toBe(name.replace('.mat', ''));
      expect(ds.split.train).toHaveLength(80);
      expect(ds.split.query[0]).toBe(80);
      expect(ds.split.database).toEqual(ds.split.train); // no *_db variables
      const whole = part(0, 100);
      expect(Array.from(ds.image.data)).toEqual(Array.from(whole.image));
      expect(ds.text.data).toBeInstanceOf(Float32Array);
      expect(Array.from(ds.text.data)).toEqual(Array.from(whole.text));
      expect(Array.from(ds.labels.data)).toEqual(Array.from(whole.labels));
    }
    const labels = await readLabelFile(fixture('tiny.mat'), 'L_te');
    expect([labels.rows, labels.cols]).toEqual([20, 4]);
    const features = await readFeatureFile(fixture('tiny-v73.mat'), 'I_te');
    expect(Array.from(features.data)).toEqual(Array.from(part(80, 20).image));
  });

  it('train --data file.mat gives the model of the same numbers in .npy files', async () => {
    const dir = tempDir();
    const train = part(0, 80);
    writeFileSync(join(dir, 'i.npy'), encodeNpy(train.image, [80, 6]));
    writeFileSync(join(dir, 't.npy'), encodeNpy(train.text, [80, 4]));
    writeFileSync(join(dir, 'l.npy'), encodeNpy(train.labels, [80, 4]));
    const reference = join(dir, 'npy.ascmh');
    const r0 = await run('train', '--image', join(dir, 'i.npy'), '--text', join(dir, 't.npy'), '--labels', join(dir, 'l.npy'), '--bits', '16', '--out', reference, ...SMALL);
    expect(r0.code, r0.stderr).toBe(0);
    const expected = (await ASCMH.load(reference)).trainingCodes.data;
    for (const name of ['tiny.mat', 'tiny-v73.mat']) {
      const out = join(dir, `${name}.ascmh`);
      const r = await run('train', '--data', fixture(name), '--bits', '16', '--out', out, ...SMALL);
      expect(r.code, r.stderr).toBe(0);
      expect(Buffer.from((await ASCMH.load(out)).trainingCodes.data).equals(Buffer.from(expected))).toBe(true);
    }
    // Files with renamed variables.
    const r = await run('train', '--image', fixture('tiny.mat'), '--text', fixture('tiny.mat'), '--labels', fixture('tiny.mat'), '--image-train-var', 'I_tr', '--bits', '16', '--out', join(dir, 'vars.ascmh'), ...SMALL);
    expect(r.code, r.stderr).toBe(0);
  });

  it('eval on a .mat file, and a missing variable named with those that exist', async () => {
    const r = await run('eval', '--data', fixture('tiny-v73.mat'), '--bits', '16', '--seeds', '1', '--json', ...SMALL);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results[0].t2i).toBeGreaterThan(0.5);
    const line = userError(await run('train', '--data', fixture('tiny.mat'), '--image-train-var', 'X_train', '--bits', '16', '--out', join(tempDir(), 'm.ascmh')));
    expect(line).toMatch(/tiny\.mat.*X_train.*I_tr/);
    // Three bytes of the v7.3 fixture changed: h5wasm's own warnings must not add lines.
    const damaged = userError(await run('train', '--data', fixture('damaged-v73.mat'), '--bits', '16', '--out', join(tempDir(), 'm.ascmh')));
    expect(damaged).toMatch(/damaged-v73\.mat: /);
    await expect(loadMatDataset(fixture('tiny.mat'), { train: { image: 'I_tr', text: 'T_te', labels: 'L_tr' }, query: { image: 'I_te', text: 'T_te', labels: 'L_te' }, database: { image: 'a', text: 'b', labels: 'c' } })).rejects.toMatchObject({
      code: 'ERR_ASCMH_DATASET',
      message: expect.stringMatching(/I_tr, T_te and L_tr have 80, 20 and 80 rows/),
    });
  });
});
