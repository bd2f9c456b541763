// Encoding, saving and loading a model; damaged files fail cleanly.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ASCMH } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';
import { fileScratchDir } from '../helpers/temp.js';

const data = smallSet(200, 5);
const model = await ASCMH.fit(data, { bits: 24, imageAnchors: 30, textAnchors: 25, seed: 2 });
const dir = fileScratchDir('ascmh-model-');
const path = join(dir, 'm.ascmh');
await model.save(path);
const queries = { rows: 30, cols: data.text.cols, data: data.text.data.subarray(0, 30 * data.text.cols) };

describe('encode', () => {
  it('packs codes in the documented layout: ceil(bits/64) words per item, unused bits zero', () => {
    const codes = model.encode('text', queries);
    expect(codes).toMatchObject({ count: 30, bits: 24 });
    expect(codes.data.length).toBe(30 * 8);
    for (let i = 0; i < 30; i++) for (let b = 3; b < 8; b++) expect(codes.data[i * 8 + b]).toBe(0);
  });
  it('encodeAsync equals encode; zero rows give zero codes', async () => {
    expect(Buffer.from((await model.encodeAsync('text', queries)).data).equals(Buffer.from(model.encode('text', queries).data))).toBe(true);
    expect(model.encode('image', { rows: 0, cols: data.image.cols, data: new Float32Array(0) }).count).toBe(0);
  });
  it('float32 and float64 inputs give the same codes', () => {
    const f64 = { ...queries, data: Float64Array.from(queries.data) };
    expect(Buffer.from(model.encode('text', f64).data).equals(Buffer.from(model.encode('text', queries).data))).toBe(true);
  });
  it('rejects a wrong modality, wrong width and NaN with coded errors', () => {
    expect(() => model.encode('audio' as 'image', queries)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_MODALITY' }));
    expect(() => model.encode('image', queries)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE', message: expect.stringMatching(/trained on 20/) }));
    const nan = { ...queries, data: Float32Array.from(queries.data) };
    nan.data[4] = NaN;
    expect(() => model.encode('text', nan)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_NON_FINITE' }));
  });
});

describe('save and load', () => {
  it('round-trips: same options, training codes and encodings', async () => {
    const again = await ASCMH.load(path);
    expect(again.options).toEqual(model.options);
    expect(Buffer.from(again.trainingCodes.data).equals(Buffer.from(model.trainingCodes.data))).toBe(true);
    expect(Buffer.from(again.encode('text', queries).data).equals(Buffer.from(model.encode('text', queries).data))).toBe(true);
  });
  it('writes atomically: no temporary file is left behind', () => {
    expect(readdirSync(dir)).toEqual(['m.ascmh']);
  });
  it('a truncated file is rejected as corrupt', async () => {
    const bytes = readFileSync(path);
    for (const keep of [bytes.length - 1, Math.floor(bytes.length / 2), 60]) {
      const p = join(dir, `trunc-${keep}`);
      writeFileSync(p, bytes.subarray(0, keep));
      await expect(ASCMH.load(p)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
    }
  });
  it('a flipped byte anywhere is caught by the checksum', async () => {
    const bytes = Buffer.from(readFileSync(path));
    for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 40]) {
      const copy = Buffer.from(bytes);
      copy[at] ^= 0x10;
      const p = join(dir, `flip-${at}`);
      writeFileSync(p, copy);
      await expect(ASCMH.load(p)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
    }
  });
  it('a foreign file, another format version and a missing file get their own codes', async () => {
    const foreign = join(dir, 'foreign');
    writeFileSync(foreign, Buffer.alloc(200, 7));
    await expect(ASCMH.load(foreign)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_FORMAT' });
    const newer = Buffer.from(readFileSync(path));
    newer.writeUInt32LE(99, 8);
    writeFileSync(join(dir, 'v99'), newer);
    await expect(ASCMH.load(join(dir, 'v99'))).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_VERSION', message: expect.stringMatching(/version 99/) });
    await expect(ASCMH.load(join(dir, 'absent'))).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_READ' });
  });
  it('a checksummed file with a wrong header structure is refused, not crashed on', async () => {
    const { createHash } = await import('node:crypto');
    const header = Buffer.from(JSON.stringify({ method: 'ascmh', sections: 5 }));
    const body = Buffer.alloc(16 + Math.ceil(header.length / 8) * 8);
    body.write('ASCMHMDL', 0, 'latin1');
    body.writeUInt32LE(1, 8);
    body.writeUInt32LE(header.length, 12);
    header.copy(body, 16);
    const p = join(dir, 'forged');
    writeFileSync(p, Buffer.concat([body, createHash('sha256').update(body).digest()]));
    await expect(ASCMH.load(p)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
  });
  it('a failed save leaves an existing model file intact', async () => {
    const before = readFileSync(path);
    await expect(model.save(join(dir, 'no-such-dir', 'm.ascmh'))).rejects.toThrow();
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('packaging', () => {
  it('CommonJS consumers can require the package', () => {
    const out = execFileSync(process.execPath, ['-e', "const a = require(process.argv[1]); console.log(typeof a.ASCMH.fit, typeof a.evaluate.meanAveragePrecision)", fileURLToPath(new URL('../..', import.meta.url))], { encoding: 'utf8' });
    expect(out.trim()).toBe('function function');
  });
});
