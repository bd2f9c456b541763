// Mutation fuzzing of every reader (issue 10): thousands of seeded mutations per format, half of
// them with the checksums recomputed so they reach the parsers behind the checksum. A reader
// either returns something the rest of the library can use safely (checked by using it: encode
// with a loaded model, search a loaded index, read every row of an .npy) or throws a coded error.
// Each format is bounded in time as well as in count; the count reached is part of the test name
// only through the assertion that at least a quarter of it ran.
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASCMH, HammingIndex, NpyRowReader, datasets, listMatVariables, parseNpy, readCodesFile, readMat, readNpy, writeCodesFile } from '../../src/index.js';
import { openModelFile, resealIndexFile, resealModelFile } from '../helpers/forge.js';
import { isCoded } from '../helpers/hostile.js';
import { forCases, mutate, seeded } from '../helpers/mutate.js';

const CASES = Number(process.env.ASCMH_FUZZ_CASES ?? 2000);
const SECONDS = Number(process.env.ASCMH_FUZZ_SECONDS ?? 8);
const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ascmh-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `read` on each mutated file; it may return (and pass `use`) or throw a coded error. */
async function fuzz(name: string, seeds: Buffer[], ext: string, read: (path: string) => Promise<unknown>, options: { reseal?: (b: Buffer) => Buffer; hot?: number; keepFiles?: boolean } = {}) {
  const rand = seeded(name.length * 7919 + seeds.length);
  let accepted = 0, refused = 0;
  const reasons = new Map<string, number>();
  const ran = await forCases(CASES, SECONDS, async (i) => {
    let file = mutate(seeds[i % seeds.length], rand, options.hot);
    if (options.reseal && rand() < 0.5) file = options.reseal(file);
    const path = join(dir, `${name}-${i}${ext}`);
    writeFileSync(path, file);
    try {
      await read(path);
      accepted++;
    } catch (e) {
      if (!isCoded(e)) throw new Error(`case ${i} of ${name}: uncoded ${String((e as Error)?.stack ?? e)}`);
      if (process.env.ASCMH_FUZZ_REPORT) reasons.set((e as Error).message.replace(/^\S+: /, '').slice(0, 60), (reasons.get((e as Error).message.replace(/^\S+: /, '').slice(0, 60)) ?? 0) + 1);
      refused++;
    } finally {
      if (!options.keepFiles) rmSync(path, { force: true });
    }
  });
  if (process.env.ASCMH_FUZZ_REPORT) console.log(name, { ran, accepted, refused }, [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6));
  expect(ran).toBeGreaterThanOrEqual(Math.min(CASES, 250));
  expect(refused).toBeGreaterThan(0);
  return { ran, accepted, refused };
}

let modelFile: Buffer, indexFiles: Buffer[], codeFiles: { npy: Buffer; raw: Buffer };
const small = datasets.synthetic({ n: 160, imageDim: 6, textDim: 4, seed: 3 });

beforeAll(async () => {
  const model = await ASCMH.fit(small, { bits: 24, imageAnchors: 12, textAnchors: 10 });
  await model.save(join(dir, 'seed.ascmh'));
  modelFile = readFileSync(join(dir, 'seed.ascmh'));
  indexFiles = [];
  for (const bits of [16, 64, 130]) {
    const index = new HammingIndex({ bits });
    index.add({ count: 9, bits, data: Uint8Array.from({ length: 9 * Math.ceil(bits / 64) * 8 }, (_, i) => (i * 29) & 255) });
    index.add({ count: 2, bits, data: new Uint8Array(2 * Math.ceil(bits / 64) * 8) }, [1000n, -5n]);
    index.save(join(dir, `seed-${bits}.idx`));
    indexFiles.push(readFileSync(join(dir, `seed-${bits}.idx`)));
  }
  await writeCodesFile(join(dir, 'seed.npy'), model.trainingCodes);
  await writeCodesFile(join(dir, 'seed.bin'), model.trainingCodes);
  codeFiles = { npy: readFileSync(join(dir, 'seed.npy')), raw: readFileSync(join(dir, 'seed.bin')) };
});

describe('fuzzing the readers with mutated files', () => {
  it('model files (bytes, and the JSON header), loaded then used to encode', async () => {
    const use = async (path: string) => {
      const m = await ASCMH.load(path);
      for (const modality of ['image', 'text'] as const) {
        const cols = m.dimension(modality);
        m.encode(modality, { rows: 3, cols, data: new Float64Array(3 * cols).fill(0.25) });
      }
      expect(m.trainingCodes.data.length).toBe(m.trainingCodes.count * Math.ceil(m.bits / 64) * 8);
    };
    await fuzz('model', [modelFile], '.ascmh', use, { reseal: resealModelFile, hot: 600 });
    // Structured forgeries: a field of the JSON header set to an interesting value.
    const rand = seeded(77);
    const values = [0, -1, 1.5, 2 ** 31, 2 ** 53, 1e300, NaN, null, '7', 'float32', 'uint8', [], {}];
    let coded = 0;
    await forCases(CASES, SECONDS / 2, async (i) => {
      const f = openModelFile(modelFile);
      const paths: (string | number)[][] = [];
      const walk = (o: unknown, at: (string | number)[]) => {
        if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, [...at, Array.isArray(o) ? Number(k) : k]);
        else paths.push(at);
      };
      walk(f.header, []);
      const target = paths[Math.floor(rand() * paths.length)];
      let o = f.header;
      for (const k of target.slice(0, -1)) o = o[k];
      o[target.at(-1)!] = values[Math.floor(rand() * values.length)];
      const path = join(dir, `model-json-${i}.ascmh`);
      writeFileSync(path, f.build());
      try {
        await use(path);
      } catch (e) {
        if (!isCoded(e)) throw new Error(`JSON forgery ${target.join('.')}: uncoded ${String((e as Error)?.stack ?? e)}`);
        coded++;
      } finally {
        rmSync(path, { force: true });
      }
    });
    expect(coded).toBeGreaterThan(0);
  });

  it('index files, loaded then searched', async () => {
    await fuzz('index', indexFiles, '.idx', async (path) => {
      const index = HammingIndex.load(path);
      const q = { count: 2, bits: index.bits, data: new Uint8Array(2 * Math.ceil(index.bits / 64) * 8).fill(0xa5) };
      const r = index.search(q, { k: 5 });
      expect(r.ids.length).toBe(2 * Math.min(5, index.size));
      index.searchRadius(q, { radius: Math.floor(index.bits / 2) });
      index.add(q);
    }, { reseal: resealIndexFile, hot: 48 });
  });

  it('.npy files, whole and row by row, and .npy buffers', async () => {
    const seeds = ['v1-float32', 'v2-float64', 'v3-float32', 'uint8', 'bool', 'fortran-float64'].map((n) => fixture(`npy/${n}.npy`));
    await fuzz('npy', seeds, '.npy', async (path) => {
      const a = await readNpy(path);
      expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
      parseNpy(readFileSync(path));
      if (a.shape.length <= 2) {
        const reader = await NpyRowReader.open(path);
        try {
          for (let r = 0; r < reader.rows; r += 2) await reader.read(r, Math.min(2, reader.rows - r));
        } finally {
          await reader.close();
        }
      }
    }, { hot: 128 });
  });

  it('.mat level 5 files (plain and compressed)', async () => {
    const seeds = ['mat/v6-plain.mat', 'mat/v7-compressed.mat', 'datasets/tiny.mat'].map(fixture);
    await fuzz('mat5', seeds, '.mat', async (path) => {
      for (const v of await listMatVariables(path)) expect(v.rows * v.cols).toBeGreaterThanOrEqual(0);
      for (const m of (await readMat(path)).values()) expect(m.data.length).toBe(m.rows * m.cols);
    }, { hot: 256 });
  });

  it('.mat v7.3 (HDF5) files', async () => {
    await fuzz('mat73', [fixture('mat/v73.mat'), fixture('datasets/tiny-v73.mat')], '.mat', async (path) => {
      for (const m of (await readMat(path)).values()) expect(m.data.length).toBe(m.rows * m.cols);
    }, { hot: 1024, keepFiles: true });  // kept until the end: a reused inode would be refused (see src/io/mat.ts)
  });

  it('code files (.npy and raw)', async () => {
    await fuzz('codes-npy', [codeFiles.npy], '.npy', async (path) => {
      const c = await readCodesFile(path, 24);
      expect(c.data.length).toBe(c.count * 8);
    });
    await fuzz('codes-raw', [codeFiles.raw], '.bin', async (path) => {
      const c = await readCodesFile(path, 24);
      expect(c.data.length).toBe(c.count * 8);
    });
  });
});
