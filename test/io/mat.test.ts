// The .mat reader against scipy- and h5py-written fixtures (test/fixtures/make-mat-fixtures.py), hand-built
// level 5 files (big-endian, MATLAB-style compacted storage) and damaged copies of the fixtures.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AscmhError } from '../../src/core/errors.js';
import { listMatVariables, readMat } from '../../src/io/mat.js';
import type { MatMatrix } from '../../src/io/mat.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/mat/${name}`, import.meta.url));
const V6 = fixture('v6-plain.mat');
const V7 = fixture('v7-compressed.mat');
const V73 = fixture('v73.mat');

interface Expected { rows: number; cols: number; className: string; values: number[] }
const expected: Record<string, Expected> = JSON.parse(readFileSync(fixture('expected.json'), 'utf8'));
/** Numeric matrices only the v7.3 file has: one without MATLAB_class, one sparse without nonzeros. */
const v73Only: Record<string, Expected> = {
  plain: { rows: 2, cols: 2, className: 'single', values: [0, 1, 2, 3] },
  S0: { rows: 3, cols: 2, className: 'logical', values: [0, 0, 0, 0, 0, 0] },
};
const numericIn = (path: string) => (path === V73 ? { ...expected, ...v73Only } : expected);
const FILES = [['level 5 uncompressed', V6], ['level 5 compressed (v7)', V7], ['v7.3 (HDF5)', V73]] as const;

const arrayTypeOf = (className: string) =>
  className === 'single' ? Float32Array : className === 'uint8' || className === 'logical' ? Uint8Array : Float64Array;

function expectMatrix(matrix: MatMatrix | undefined, name: string, want: Expected) {
  expect(matrix, name).toBeDefined();
  const { rows, cols, className, data } = matrix!;
  expect({ name: matrix!.name, rows, cols, className }).toEqual({ name, rows: want.rows, cols: want.cols, className: want.className });
  expect(data, name).toBeInstanceOf(arrayTypeOf(want.className));
  expect(Array.from(data), name).toEqual(want.values);
}

async function matError(promise: Promise<unknown>): Promise<AscmhError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AscmhError);
  return err as AscmhError;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ascmh-mat-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
async function scratchFile(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, bytes);
  return path;
}

describe.each(FILES)('%s', (_, path) => {
  it('reads every numeric matrix with its shape, class and values, row-major', async () => {
    const matrices = await readMat(path);
    const want = numericIn(path);
    expect([...matrices.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, values] of Object.entries(want)) expectMatrix(matrices.get(name), name, values);
  });

  it('values follow the formulas of the fixture script', async () => {
    const m = await readMat(path, ['I_tr', 'T_tr', 'counts', 'row', 'col', 'S', 'u64', 'squeezable']);
    const at = (name: string, i: number, j: number) => m.get(name)!.data[i * m.get(name)!.cols + j];
    expect(at('I_tr', 3, 2)).toBe(32.5);
    expect(at('I_tr', 1, 0)).toBe(10.5);
    expect(at('T_tr', 2, 4)).toBe(6);
    expect(at('counts', 2, 1)).toBe(-200008);
    expect([m.get('row')!.rows, m.get('row')!.cols, at('row', 0, 5)]).toEqual([1, 6, 7.5]);
    expect([m.get('col')!.rows, m.get('col')!.cols, at('col', 4, 0)]).toEqual([5, 1, 2]);
    expect([at('S', 0, 0), at('S', 2, 1), at('S', 4, 1), at('S', 1, 3), at('S', 3, 3)]).toEqual([1, 2.5, -3, 4, 0]);
    expect(at('u64', 1, 2)).toBe(5 * 2 ** 50 + 3);
    expect([m.get('squeezable')!.rows, m.get('squeezable')!.cols, at('squeezable', 1, 2)]).toEqual([2, 3, 12]);
  });

  it('lists the numeric matrices without their data', async () => {
    const listed = await listMatVariables(path);
    const want = Object.entries(numericIn(path)).map(([name, { rows, cols, className }]) => ({ name, rows, cols, className }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...listed].sort(byName)).toEqual(want.sort(byName));
  });

  it('reads a requested subset, in the requested order', async () => {
    const matrices = await readMat(path, ['L_tr', 'I_tr']);
    expect([...matrices.keys()]).toEqual(['L_tr', 'I_tr']);
    expectMatrix(matrices.get('L_tr'), 'L_tr', expected.L_tr);
    expect((await readMat(path, [])).size).toBe(0);
  });

  it('a missing variable: the error lists the variables there are', async () => {
    const err = await matError(readMat(path, ['I_tr', 'I_te']));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message.startsWith(`${path}: no variable 'I_te'`)).toBe(true);
    expect(err.message).toMatch(/variables: .*I_tr.*/);
    expect(err.message).toContain('tags');
  });

  it.each([
    ['tags', /class char/],
    ['cellv', /class cell/],
    ['meta', /class struct/],
    ['z', /complex values are not supported/],
    ['cube', /a 2x3x4 array with more than 2 non-singleton dimensions/],
  ])('%s is not a numeric matrix', async (name, why) => {
    const err = await matError(readMat(path, [name]));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toContain(`${path}: variable '${name}' is not a numeric matrix`);
    expect(err.message).toMatch(why);
  });
});

describe('files that are not readable MAT-files', () => {
  it('a missing file', async () => {
    const path = join(scratch, 'nope.mat');
    // One call at a time: a second promise made up front could reject before it is awaited.
    for (const call of [() => readMat(path), () => listMatVariables(path)]) {
      const err = await matError(call());
      expect(err.code).toBe('ERR_ASCMH_FILE');
      expect(err.message).toBe(`cannot read ${path}: ENOENT`);
    }
  });

  it('a directory', async () => {
    expect((await matError(readMat(scratch))).code).toBe('ERR_ASCMH_FILE');
  });

  it('not a MAT-file', async () => {
    for (const bytes of [Buffer.from('{"not": "a mat file"}\n'), Buffer.alloc(0), Buffer.alloc(300, 0xab)]) {
      const path = await scratchFile('other.mat', bytes);
      const err = await matError(readMat(path));
      expect(err.code).toBe('ERR_ASCMH_MAT');
      expect(err.message).toBe(`${path}: not a MAT-file (no 'MATLAB 5.0 MAT-file' or 'MATLAB 7.3 MAT-file' header)`);
    }
  });

  it('a level 4 MAT-file', async () => {
    const err = await matError(listMatVariables(fixture('level4.mat')));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toMatch(/level4\.mat: level 4 MAT-files .* are not supported/);
  });

  it('a level 5 header with an unknown version or endian indicator', async () => {
    const header = Buffer.from(readFileSync(V6).subarray(0, 128));
    header.writeUInt16LE(0x0200, 124);
    expect((await matError(readMat(await scratchFile('version.mat', header)))).message).toMatch(/unsupported MAT-file version 0x0200/);
    header.write('XY', 126, 'latin1');
    expect((await matError(readMat(await scratchFile('indicator.mat', header)))).message).toMatch(/bad endian indicator 'XY'/);
  });

  it('a v7.3 header without HDF5 data', async () => {
    const bytes = Buffer.concat([readFileSync(V73).subarray(0, 128), Buffer.alloc(600)]);
    const err = await matError(readMat(await scratchFile('no-hdf5.mat', bytes)));
    expect(err.message).toMatch(/no HDF5 data at byte 512/);
  });

  it('a truncated level 5 file', async () => {
    const bytes = readFileSync(V6);
    const path = await scratchFile('truncated.mat', bytes.subarray(0, 1000));
    const err = await matError(readMat(path));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toMatch(new RegExp(`^${path}: element at byte \\d+: truncated`));
  });

  it('corrupted compressed data', async () => {
    const bytes = Buffer.from(readFileSync(V7));
    bytes[128 + 8 + 40] ^= 0x55; // inside the first compressed element
    const err = await matError(readMat(await scratchFile('corrupt.mat', bytes)));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toMatch(/corrupted compressed data/);
  });

  it('a damaged v7.3 file', async () => {
    const bytes = readFileSync(V73);
    const err = await matError(readMat(await scratchFile('cut.mat', bytes.subarray(0, 1024))));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toMatch(/cut\.mat: .*HDF5 error/);
  });

  it('a v7.3 file that failed after opening is refused until restart, not read from the stale HDF5 cache', async () => {
    const intact = readFileSync(V73);
    const damaged = Buffer.from(intact);
    for (let at = damaged.indexOf('HEAP'); at >= 0; at = damaged.indexOf('HEAP', at + 1)) damaged.write('HEAQ', at, 'latin1');
    const path = await scratchFile('stale.mat', damaged);
    expect((await matError(readMat(path))).message).toBe(`${path}: HDF5 error: bad local heap signature`);
    await writeFile(path, intact); // same inode
    const err = await matError(listMatVariables(path));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toMatch(/left it open inside h5wasm.*restart the process/);
    expect((await readMat(await scratchFile('fresh.mat', intact))).size).toBe(Object.keys(numericIn(V73)).length);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-built level 5 files, in either byte order

const MI = { INT8: 1, UINT8: 2, INT16: 3, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, MATRIX: 14, COMPRESSED: 15 } as const;
const MX = { SPARSE: 5, DOUBLE: 6, SINGLE: 7, UINT8: 9, INT64: 14 } as const;

function encode(type: number, values: number[], le: boolean): Buffer {
  const size = { [MI.INT8]: 1, [MI.UINT8]: 1, [MI.INT16]: 2, [MI.INT32]: 4, [MI.UINT32]: 4, [MI.SINGLE]: 4, [MI.DOUBLE]: 8, [MI.INT64]: 8 }[type]!;
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, k) => {
    const at = k * size;
    if (type === MI.INT8) view.setInt8(at, v);
    else if (type === MI.UINT8) view.setUint8(at, v);
    else if (type === MI.INT16) view.setInt16(at, v, le);
    else if (type === MI.INT32) view.setInt32(at, v, le);
    else if (type === MI.UINT32) view.setUint32(at, v, le);
    else if (type === MI.SINGLE) view.setFloat32(at, v, le);
    else if (type === MI.DOUBLE) view.setFloat64(at, v, le);
    else view.setBigInt64(at, BigInt(v), le);
  });
  return Buffer.from(view.buffer);
}

function tag(type: number, size: number, le: boolean): Buffer {
  const bytes = Buffer.alloc(8);
  if (le) bytes.writeUInt32LE(type, 0), bytes.writeUInt32LE(size, 4);
  else bytes.writeUInt32BE(type, 0), bytes.writeUInt32BE(size, 4);
  return bytes;
}

/** A data element; up to 4 bytes go in the small form, packed into one 8-byte word, as MATLAB writes them. */
function element(type: number, data: Buffer, le: boolean): Buffer {
  if (data.length > 0 && data.length <= 4) {
    const word = Buffer.alloc(8);
    if (le) word.writeUInt32LE(((data.length << 16) | type) >>> 0, 0);
    else word.writeUInt32BE(((data.length << 16) | type) >>> 0, 0);
    data.copy(word, 4);
    return word;
  }
  return Buffer.concat([tag(type, data.length, le), data, Buffer.alloc((8 - (data.length % 8)) % 8)]);
}

function matrix(le: boolean, name: string, classCode: number, dims: number[], parts: Buffer[], flags = 0, nzmax = 0): Buffer {
  const body = Buffer.concat([
    element(MI.UINT32, encode(MI.UINT32, [classCode | flags, nzmax], le), le),
    element(MI.INT32, encode(MI.INT32, dims, le), le),
    element(MI.INT8, Buffer.from(name, 'latin1'), le),
    ...parts,
  ]);
  return Buffer.concat([tag(MI.MATRIX, body.length, le), body]);
}

function level5File(le: boolean, elements: Buffer[]): Buffer {
  const header = Buffer.alloc(128, 0);
  header.write('MATLAB 5.0 MAT-file, written by test/mat.test.ts'.padEnd(116, ' '), 0, 'latin1');
  if (le) header.writeUInt16LE(0x0100, 124);
  else header.writeUInt16BE(0x0100, 124);
  header.write(le ? 'IM' : 'MI', 126, 'latin1');
  return Buffer.concat([header, ...elements]);
}

/** Column-major values, as a MAT-file stores them, of the row-major rows x cols values. */
const columnMajor = (values: number[], rows: number, cols: number) =>
  Array.from({ length: values.length }, (_, k) => values[(k % rows) * cols + Math.floor(k / rows)]);

const crafted = {
  A: { rows: 2, cols: 3, className: 'double', values: [-5, -4, -3, 5, 6, 7] },
  B: { rows: 2, cols: 2, className: 'single', values: [0.5, -1.25, 3, 1e6] },
  flags: { rows: 1, cols: 3, className: 'logical', values: [1, 0, 1] },
  S: { rows: 3, cols: 2, className: 'double', values: [0, -8, 0, 0, 7, 0] },
  big: { rows: 1, cols: 2, className: 'int64', values: [-(2 ** 40), 2 ** 50] },
  Z: { rows: 2, cols: 1, className: 'double', values: [1.5, 2.5] },
};

function craftedFile(le: boolean): Buffer {
  const { A, B, flags, big, Z } = crafted;
  const compressed = deflateSync(matrix(le, 'Z', MX.DOUBLE, [2, 1], [element(MI.DOUBLE, encode(MI.DOUBLE, Z.values, le), le)]));
  return level5File(le, [
    // MATLAB stores integer-valued doubles in the smallest integer type that holds them.
    matrix(le, 'A', MX.DOUBLE, [2, 3], [element(MI.INT16, encode(MI.INT16, columnMajor(A.values, 2, 3), le), le)]),
    matrix(le, 'B', MX.SINGLE, [2, 2], [element(MI.SINGLE, encode(MI.SINGLE, columnMajor(B.values, 2, 2), le), le)]),
    matrix(le, 'flags', MX.UINT8, [1, 3], [element(MI.UINT8, encode(MI.UINT8, flags.values, le), le)], 0x200),
    matrix(le, 'S', MX.SPARSE, [3, 2], [
      element(MI.INT32, encode(MI.INT32, [2, 0], le), le),
      element(MI.INT32, encode(MI.INT32, [0, 1, 2], le), le),
      element(MI.DOUBLE, encode(MI.DOUBLE, [7, -8], le), le),
    ], 0, 2),
    matrix(le, 'big', MX.INT64, [1, 2], [element(MI.INT64, encode(MI.INT64, big.values, le), le)]),
    Buffer.concat([tag(MI.COMPRESSED, compressed.length, le), compressed]),
  ]);
}

describe('hand-built level 5 files', () => {
  it.each([['little-endian', true], ['big-endian', false]])('%s, with compacted storage, small elements, sparse and compressed', async (_, le) => {
    const path = await scratchFile(`crafted-${le}.mat`, craftedFile(le));
    const matrices = await readMat(path);
    expect([...matrices.keys()]).toEqual(Object.keys(crafted));
    for (const [name, want] of Object.entries(crafted)) expectMatrix(matrices.get(name), name, want);
    expect(await listMatVariables(path)).toEqual(Object.entries(crafted).map(([name, { rows, cols, className }]) => ({ name, rows, cols, className })));
  });

  it('a data element that does not match the dimensions names the variable', async () => {
    const path = await scratchFile('short.mat', level5File(true, [matrix(true, 'bad', MX.DOUBLE, [2, 2], [element(MI.DOUBLE, encode(MI.DOUBLE, [1, 2, 3], true), true)])]));
    expect(await listMatVariables(path)).toEqual([{ name: 'bad', rows: 2, cols: 2, className: 'double' }]);
    const err = await matError(readMat(path));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toBe(`${path}: variable 'bad': data element has 24 bytes, 4 values need 32`);
  });

  it('a sparse row index out of range', async () => {
    const sparse = matrix(true, 'S', MX.SPARSE, [2, 1], [
      element(MI.INT32, encode(MI.INT32, [5], true), true),
      element(MI.INT32, encode(MI.INT32, [0, 1], true), true),
      element(MI.DOUBLE, encode(MI.DOUBLE, [1], true), true),
    ], 0, 1);
    const err = await matError(readMat(await scratchFile('sparse.mat', level5File(true, [sparse]))));
    expect(err.message).toMatch(/variable 'S': sparse row index 5 is outside 0\.\.1/);
  });
});

// ---------------------------------------------------------------------------------------------
// Damaged copies: every outcome is a correct read or an AscmhError, never another error or a hang

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads and lists the file; returns what it read, or undefined after checking that the failure is an AscmhError. */
async function readOrFail(path: string): Promise<Map<string, MatMatrix> | undefined> {
  try {
    await listMatVariables(path);
    const matrices = await readMat(path);
    for (const m of matrices.values()) expect(m.data.length).toBe(m.rows * m.cols);
    return matrices;
  } catch (err) {
    if (!(err instanceof AscmhError)) throw err;
    expect(['ERR_ASCMH_FILE', 'ERR_ASCMH_MAT']).toContain(err.code);
    expect(err.message.startsWith(path)).toBe(true);
    return undefined;
  }
}

// Each damaged copy is a new file: HDF5 would refuse a rewritten one after an error (see above).
describe.each(FILES)('damaged %s', (label, path) => {
  const original = readFileSync(path);
  const prefix = label.replace(/\W+/g, '-');

  it('truncated at many offsets: what is read is correct', async () => {
    const step = path === V73 ? 397 : 23;
    for (let length = 0; length < original.length; length += step) {
      const matrices = await readOrFail(await scratchFile(`${prefix}-cut-${length}.mat`, original.subarray(0, length)));
      for (const [name, m] of matrices ?? []) expectMatrix(m, name, numericIn(path)[name]);
    }
  });

  it('flipped bytes', async () => {
    const next = random(original.length);
    for (let trial = 0; trial < (path === V73 ? 150 : 300); trial++) {
      const bytes = Buffer.from(original);
      const at = Math.floor(next() * bytes.length);
      bytes[at] ^= 1 + Math.floor(next() * 255);
      await readOrFail(await scratchFile(`${prefix}-flip-${trial}.mat`, bytes));
    }
  });
});

describe('decompression bombs (issue 10: a small file must not inflate to gigabytes)', () => {
  it('a compressed 2x1 matrix that inflates to 200 MB is refused, not allocated', async () => {
    const le = true;
    const real = matrix(le, 'Z', MX.DOUBLE, [2, 1], [element(MI.DOUBLE, encode(MI.DOUBLE, [1, 2], le), le)]);
    // The matrix, then 200 MB of zeros in the same compressed stream (about 200 KB on disk).
    const bomb = deflateSync(Buffer.concat([real, Buffer.alloc(200 << 20)]), { level: 9 });
    const file = level5File(le, [Buffer.concat([tag(MI.COMPRESSED, bomb.length, le), bomb])]);
    expect(file.length).toBeLessThan(1 << 20);
    const path = await scratchFile('bomb.mat', file);
    const before = process.memoryUsage().rss;
    const err = await matError(readMat(path));
    expect(err.code).toBe('ERR_ASCMH_MAT');
    expect(err.message).toMatch(/compressed/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 << 20);
  });
});
