// ascmh train / encode / search, run as a user would, checked against in-process and naive
// computations; every bad input is one stderr line and exit code 2, and no output is half-written.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASCMH, datasets, HammingIndex } from '../../src/index.js';
import { codesToRows, readCodesFile } from '../../src/io/codes-file.js';
import { selectRows } from '../../src/data/datasets.js';
import { loadDataset } from '../../src/data/datasets.js';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { cli, run, runAndSignal, syntheticFolder, tempDir, userError } from '../helpers/cli.js';
import { hamming } from '../helpers/hamming-reference.js';

const SMALL = ['--image-anchors', '60', '--text-anchors', '60'];

let data: string; // dataset folder
let work: string; // outputs
let modelPath: string;
let model: ASCMH;
let queries: Float32Array; // 100 x 16 image features

beforeAll(async () => {
  data = syntheticFolder();
  work = tempDir();
  modelPath = join(work, 'm.ascmh');
  const r = await run('train', '--data', data, '--bits', '24', '--out', modelPath, ...SMALL);
  expect(r.code, r.stderr).toBe(0);
  model = await ASCMH.load(modelPath);
  const ds = await loadDataset(data);
  queries = selectRows(ds, ds.split.query).image.data as Float32Array;
  writeFileSync(join(work, 'queries.npy'), encodeNpy(queries, [100, 16]));
});

describe('ascmh train', () => {
  it('saves a model equal to an in-process fit, and says what it trained', async () => {
    const ds = await loadDataset(data);
    const direct = await ASCMH.fit(selectRows(ds, ds.split.train), { bits: 24, seed: 0, imageAnchors: 60, textAnchors: 60 });
    expect(model.bits).toBe(24);
    expect(Buffer.from(model.trainingCodes.data).equals(Buffer.from(direct.trainingCodes.data))).toBe(true);
    const r = await run('train', '--data', data, '--bits', '24', '--out', join(work, 'again.ascmh'), ...SMALL);
    expect(r.stdout).toMatch(/again\.ascmh: 24-bit ASCMH model, 400 pairs \(image 16-D, text 6-D\), trained in \d+\.\d+ s/);
  });

  it('--image/--text/--labels files give the same model as --data', async () => {
    const ds = await loadDataset(data);
    const train = selectRows(ds, ds.split.train);
    const dir = tempDir();
    writeFileSync(join(dir, 'i.npy'), encodeNpy(train.image.data, [400, 16]));
    writeFileSync(join(dir, 't.npy'), encodeNpy(train.text.data, [400, 6]));
    writeFileSync(join(dir, 'l.npy'), encodeNpy(train.labels.data, [400, 5]));
    const out = join(dir, 'files.ascmh');
    const r = await run('train', '--image', join(dir, 'i.npy'), '--text', join(dir, 't.npy'), '--labels', join(dir, 'l.npy'), '--bits', '24', '--out', out, ...SMALL);
    expect(r.code, r.stderr).toBe(0);
    const again = await ASCMH.load(out);
    expect(Buffer.from(again.trainingCodes.data).equals(Buffer.from(model.trainingCodes.data))).toBe(true);
  });

  it('progress: plain lines off a terminal, one per phase as it starts, objective terms with --verbose, nothing with --quiet', async () => {
    const base = ['train', '--data', data, '--bits', '16', '--iterations', '3', '--tolerance', '0', ...SMALL];
    const normal = await run(...base, '--out', join(work, 'p1.ascmh'));
    const lines = normal.stderr.trim().split('\n');
    const seconds = String.raw`(\d+\.\d\d) s elapsed`;
    const expected = [
      new RegExp(`^train: reading ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, ${seconds}$`),
      new RegExp(`^train: kernel features, ${seconds}$`),
      new RegExp(`^train: iterations, ${seconds}$`),
      ...[1, 2, 3].map((i) => new RegExp(`^train: ${i}/3 iterations, ${seconds}, about (\\d+\\.\\d\\d) s left in the iterations$`)),
      new RegExp(`^train: hash functions, ${seconds}$`),
    ];
    expect(lines).toHaveLength(expected.length);
    const elapsed = lines.map((line, i) => {
      const m = line.match(expected[i]);
      expect(m, `line ${i}: ${line}`).not.toBeNull();
      return Number(m![1]);
    });
    for (let i = 1; i < elapsed.length; i++) expect(elapsed[i]).toBeGreaterThanOrEqual(elapsed[i - 1]);
    expect(lines[5]).toMatch(/about 0\.00 s left/); // nothing is left after the last iteration
    const verbose = await run(...base, '--out', join(work, 'p2.ascmh'), '--verbose');
    expect(verbose.stderr.match(/^iteration \d: reconstruction \S+, similarity \S+, label \S+, bits changed \d+$/gm)).toHaveLength(3);
    expect(verbose.stderr.match(/^train: (reading \S+|kernel features|iterations|hash functions),/gm)).toHaveLength(4);
    const quiet = await run(...base, '--out', join(work, 'p3.ascmh'), '--quiet');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout + quiet.stderr).toBe('');
  });

  it('Ctrl-C stops training within an iteration and leaves no file behind', async () => {
    const dir = tempDir();
    const big = datasets.synthetic({ n: 12000, classes: 10, imageDim: 64, textDim: 32, seed: 5 });
    writeFileSync(join(dir, 'i.npy'), encodeNpy(big.image.data, [12000, 64]));
    writeFileSync(join(dir, 't.npy'), encodeNpy(big.text.data, [12000, 32]));
    writeFileSync(join(dir, 'l.npy'), encodeNpy(big.labels.data, [12000, 10]));
    const out = join(dir, 'never.ascmh');
    const r = await runAndSignal(
      ['train', '--image', join(dir, 'i.npy'), '--text', join(dir, 't.npy'), '--labels', join(dir, 'l.npy'), '--bits', '64', '--iterations', '1000', '--tolerance', '0', '--out', out],
      /train: 1\/1000/,
    );
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted; no output was written/);
    expect(readdirSync(dir).sort()).toEqual(['i.npy', 'l.npy', 't.npy']);
  });
});

describe('ascmh encode', () => {
  it('writes .npy and raw codes equal to model.encode, for any batch size', async () => {
    const expected = codesToRows(model.encode('image', { rows: 100, cols: 16, data: queries }));
    for (const [name, batch] of [['c.npy', '7'], ['c.bin', '1000'], ['d.npy', '100']] as const) {
      const out = join(work, name);
      const r = await run('encode', '--model', modelPath, '--modality', 'image', '--input', join(work, 'queries.npy'), '--out', out, '--batch-rows', batch);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`${name}: 100 24-bit codes of image features`));
      if (name.endsWith('.npy')) {
        const npy = await readNpy(out);
        expect(npy.dtype).toBe('uint8');
        expect(npy.shape).toEqual([100, 3]);
        expect(Buffer.from(npy.data).equals(Buffer.from(expected))).toBe(true);
      } else {
        expect(readFileSync(out).equals(Buffer.from(expected))).toBe(true);
      }
    }
  });

  it('a Fortran-order input encodes like its C-order copy', async () => {
    const transposed = new Float32Array(100 * 16);
    for (let i = 0; i < 100; i++) for (let j = 0; j < 16; j++) transposed[j * 100 + i] = queries[i * 16 + j];
    const c = encodeNpy(transposed, [100, 16]);
    const fortran = Buffer.from(c.toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
    writeFileSync(join(work, 'fortran.npy'), fortran);
    const out = join(work, 'fortran.bin');
    const r = await run('encode', '--model', modelPath, '--modality', 'image', '--input', join(work, 'fortran.npy'), '--out', out, '--batch-rows', '30');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out).equals(Buffer.from(codesToRows(model.encode('image', { rows: 100, cols: 16, data: queries }))))).toBe(true);
  });

  it('Ctrl-C between batches leaves no code file behind', async () => {
    const dir = tempDir();
    const rows = 200_000;
    writeFileSync(join(dir, 'big.npy'), encodeNpy(Float32Array.from({ length: rows * 16 }, (_, i) => (i % 97) / 97), [rows, 16]));
    const r = await runAndSignal(['encode', '--model', modelPath, '--modality', 'image', '--input', join(dir, 'big.npy'), '--out', join(dir, 'codes.npy'), '--batch-rows', '500'], /encode: 500\/200000/);
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(130);
    expect(readdirSync(dir)).toEqual(['big.npy']);
  });

  it('a second Ctrl-C leaves at once, without waiting for the batch being encoded (issue 10, item 9)', async () => {
    const dir = tempDir();
    // 2,000 anchors over 256-D rows: one 200,000-row batch is seconds of native work.
    const heavy = await ASCMH.fit(datasets.synthetic({ n: 2000, imageDim: 256, seed: 3 }), { bits: 32, imageAnchors: 2000 });
    await heavy.save(join(dir, 'heavy.ascmh'));
    const rows = 200_000, X = new Float32Array(rows * 256);
    for (let i = 0; i < X.length; i++) X[i] = (i % 89) / 89;
    writeFileSync(join(dir, 'big.npy'), encodeNpy(X, [rows, 256]));
    const child = spawn(process.execPath, [cli, 'encode', '--model', join(dir, 'heavy.ascmh'), '--modality', 'image', '--input', join(dir, 'big.npy'), '--out', join(dir, 'codes.npy'), '--batch-rows', String(rows)], { stdio: 'ignore' });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    const second = Date.now();
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(Date.now() - second).toBeLessThan(process.env.ASCMH_NATIVE === 'sanitize' ? 4500 : 1500);
    expect(readdirSync(dir).sort()).toEqual(['big.npy', 'heavy.ascmh']);
  });

  it('a model trained for other feature sizes: one line naming the file, no output', async () => {
    const out = join(work, 'wrong.npy');
    const msg = userError(await run('encode', '--model', modelPath, '--modality', 'text', '--input', join(work, 'queries.npy'), '--out', out));
    expect(msg).toMatch(/queries\.npy: 16 columns, but the model's text hash function takes 6-D features/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('ascmh search', () => {
  const naiveTop = (q: Uint8Array, qi: number, db: Uint8Array, count: number, bits: number, k: number) =>
    Array.from({ length: count }, (_, i) => ({ id: i, d: hamming(q, qi, db, i, bits) }))
      .sort((a, b) => a.d - b.d || a.id - b.id)
      .slice(0, k);

  it('feature queries against the training codes match a naive ranking', async () => {
    const r = await run('search', '--model', modelPath, '--modality', 'image', '--input', join(work, 'queries.npy'), '-k', '7', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ k: 7, bits: 24, database: 400 });
    const q = model.encode('image', { rows: 100, cols: 16, data: queries });
    out.queries.forEach((res: { ids: number[]; distances: number[] }, qi: number) => {
      const ref = naiveTop(q.data, qi, model.trainingCodes.data, 400, 24, 7);
      expect(res.ids).toEqual(ref.map((x) => x.id));
      expect(res.distances).toEqual(ref.map((x) => x.d));
    });
  });

  it('code queries against a code file or a saved index, by radius', async () => {
    const dbFile = join(work, 'db.bin');
    await run('encode', '--model', modelPath, '--modality', 'image', '--input', join(work, 'queries.npy'), '--out', dbFile);
    const db = await readCodesFile(dbFile, 24);
    const index = new HammingIndex({ bits: 24 });
    index.add(db);
    index.save(join(work, 'db.idx'));
    for (const database of [dbFile, join(work, 'db.idx')]) {
      const r = await run('search', '--database', database, '--codes', '--bits', '24', '--input', join(work, 'c.npy'), '--radius', '4', '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.radius).toBe(4);
      out.queries.forEach((res: { ids: number[]; distances: number[] }, qi: number) => {
        const ref = naiveTop(db.data, qi, db.data, 100, 24, 100).filter((x) => x.d <= 4);
        expect(res.ids).toEqual(ref.map((x) => x.id));
        expect(res.distances).toEqual(ref.map((x) => x.d));
      });
    }
  });

  it('--split picks a dataset folder\'s part: search defaults to its query split and k = 10, encode to its database split', async () => {
    const r = await run('search', '--model', modelPath, '--modality', 'image', '--input', data, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ k: 10, bits: 24, database: 400 });
    expect(out.queries).toHaveLength(100);
    const q = model.encode('image', { rows: 100, cols: 16, data: queries });
    out.queries.forEach((res: { ids: number[]; distances: number[] }, qi: number) => {
      const ref = naiveTop(q.data, qi, model.trainingCodes.data, 400, 24, 10);
      expect(res.ids).toEqual(ref.map((x) => x.id));
      expect(res.distances).toEqual(ref.map((x) => x.d));
    });
    const ds = await loadDataset(data);
    for (const [split, rows] of [['train', ds.split.train], ['query', ds.split.query], [undefined, ds.split.database]] as const) {
      const out = join(work, `split-${split}.npy`);
      const e = await run('encode', '--model', modelPath, '--modality', 'text', '--input', data, ...(split ? ['--split', split] : []), '--out', out);
      expect(e.code, e.stderr).toBe(0);
      const expected = codesToRows(model.encode('text', selectRows(ds, [...rows]).text));
      expect(Buffer.from((await readNpy(out)).data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
    }
    const both = await run('search', '--model', modelPath, '--modality', 'image', '--input', data, '--split', 'query', '--var', 'I_te');
    expect(userError(both)).toMatch(/--split and --var/);
    const notDataset = await run('search', '--model', modelPath, '--modality', 'image', '--input', join(work, 'queries.npy'), '--split', 'query');
    expect(userError(notDataset)).toMatch(/--split needs a dataset folder or a \.mat file/);
  });

  it('prints one line per query without --json', async () => {
    const r = await run('search', '--model', modelPath, '--modality', 'image', '--input', join(work, 'queries.npy'), '-k', '3');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(100);
    expect(lines[0]).toMatch(/^0: \d+\(\d+\) \d+\(\d+\) \d+\(\d+\)$/);
  });
});

describe('bad input: one line on stderr naming the file, exit code 2, nothing written', () => {
  it('every case', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'int64.npy'), Buffer.concat([encodeNpy(new Float64Array(4), [2, 2]).subarray(0, 10), Buffer.from("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }".padEnd(117) + '\n'), Buffer.alloc(32)]));
    writeFileSync(join(dir, 'short.npy'), encodeNpy(new Float32Array(40), [10, 4]).subarray(0, 150));
    writeFileSync(join(dir, 'img9.npy'), encodeNpy(new Float32Array(9 * 4), [9, 4]));
    writeFileSync(join(dir, 'txt8.npy'), encodeNpy(new Float32Array(8 * 3), [8, 3]));
    writeFileSync(join(dir, 'lab9.npy'), encodeNpy(new Uint8Array(9 * 2), [9, 2]));
    writeFileSync(join(dir, 'codes.bin'), Buffer.alloc(7));
    writeFileSync(join(dir, 'keep.ascmh'), 'precious');
    const out = join(dir, 'keep.ascmh');
    const train = (...files: string[]) => ['train', '--image', files[0], '--text', files[1], '--labels', files[2], '--bits', '16', '--out', out];
    const cases: [string[], RegExp][] = [
      [train(join(dir, 'missing.npy'), join(dir, 'txt8.npy'), join(dir, 'lab9.npy')), /cannot read .*missing\.npy: ENOENT/],
      [train(join(dir, 'int64.npy'), join(dir, 'txt8.npy'), join(dir, 'lab9.npy')), /int64\.npy: unsupported dtype '<i8'/],
      [train(join(dir, 'short.npy'), join(dir, 'txt8.npy'), join(dir, 'lab9.npy')), /short\.npy: truncated body/],
      [train(join(dir, 'img9.npy'), join(dir, 'txt8.npy'), join(dir, 'lab9.npy')), /same rows; got 9, 8 and 9/],
      [['train', '--data', dir, '--bits', '16', '--out', out], /img\.npy: ENOENT/],
      [['train', '--data', join(dir, 'codes.bin'), '--bits', '16', '--out', out], /codes\.bin: a dataset is a folder/],
      [['train', '--data', data, '--bits', '16', '--out', join(dir, 'no', 'such', 'm.ascmh')], /folder .*no\/such does not exist/],
      [['train', '--data', data, '--bits', '16', '--out', dir], /it is a directory/],
      [['search', '--model', modelPath, '--codes', '--input', join(dir, 'codes.bin')], /codes\.bin: 7 bytes is not a whole number of 24-bit codes/],
      [['search', '--model', join(dir, 'keep.ascmh'), '--modality', 'image', '--input', join(work, 'queries.npy')], /keep\.ascmh is not an ascmh model file/],
      [['encode', '--model', modelPath, '--modality', 'image', '--input', join(dir, 'short.npy'), '--out', out], /short\.npy: truncated body/],
    ];
    for (const [args, message] of cases) {
      const line = userError(await run(...args));
      expect(line, args.join(' ')).toMatch(message);
    }
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
