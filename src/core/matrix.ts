import { fail } from './errors.js';
import { native } from './native.js';

/** A dense row-major matrix, one sample per row. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

/** A row-major 0/1 label matrix: one row per sample, one column per class. */
export interface LabelMatrix {
  rows: number;
  cols: number;
  data: Uint8Array;
}

/**
 * Packed binary codes. Item i occupies ceil(bits/64) little-endian 64-bit words starting at byte
 * 8 * i * ceil(bits/64); bit j of the code is bit (j mod 64) of word floor(j/64); a set bit is +1.
 */
export interface Codes {
  count: number;
  bits: number;
  data: Uint8Array;
}

/** The two sides of a cross-modal pair. */
export type Modality = 'image' | 'text';

/** 64-bit words of one code in memory: ceil(bits / 64). */
export function wordsPerCode(bits: number): number {
  return Math.ceil(bits / 64);
}

/** Bytes of one code in a code file: ceil(bits / 8). */
export function bytesPerCode(bits: number): number {
  return 8 * wordsPerCode(bits);
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function checkShape(m: unknown, name: string): { rows: number; cols: number; data: unknown } {
  if (m === null || typeof m !== 'object') fail('ERR_ASCMH_NOT_MATRIX', `${name} must be an object { rows, cols, data }`);
  const { rows, cols, data } = m as { rows?: unknown; cols?: unknown; data?: unknown };
  if (!isNonNegativeInteger(rows) || !isNonNegativeInteger(cols)) {
    fail('ERR_ASCMH_NOT_MATRIX', `${name}.rows and ${name}.cols must be non-negative integers`);
  }
  return { rows, cols, data };
}

/**
 * Checks a feature matrix: shape, dtype, non-empty, every value finite. Returns a snapshot
 * `{ rows, cols, data }`: each property is read once, so a getter cannot hand the native side an
 * array other than the one checked here.
 */
export function validateMatrix(m: unknown, name: string, options: { allowEmpty?: boolean; checkFinite?: boolean } = {}): Matrix {
  const { rows, cols, data } = checkShape(m, name);
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    fail('ERR_ASCMH_DTYPE', `${name}.data must be a Float32Array or Float64Array`);
  }
  if (data.length !== rows * cols) {
    fail('ERR_ASCMH_SHAPE', `${name}.data has ${data.length} values but rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  }
  if (!options.allowEmpty && rows === 0) fail('ERR_ASCMH_EMPTY', `${name} has no rows`);
  if (cols === 0) fail('ERR_ASCMH_EMPTY', `${name} has no columns`);
  // The native side checks each block as it reads it (checkFinite: false), so an async call never
  // scans a whole input on the JS thread.
  const bad: number = options.checkFinite === false ? -1 : native.findNonFinite(data);
  if (bad >= 0) {
    const row = Math.floor(bad / cols);
    fail('ERR_ASCMH_NON_FINITE', `${name} has a non-finite value (${data[bad]}) at row ${row}, column ${bad - row * cols}`);
  }
  return { rows, cols, data };
}

/** Checks a 0/1 label matrix (a snapshot, as validateMatrix). Rows without any label are allowed. */
export function validateLabels(m: unknown, name: string): LabelMatrix {
  const { rows, cols, data } = checkShape(m, name);
  if (!(data instanceof Uint8Array)) fail('ERR_ASCMH_DTYPE', `${name}.data must be a Uint8Array of 0/1`);
  if (data.length !== rows * cols) {
    fail('ERR_ASCMH_SHAPE', `${name}.data has ${data.length} values but rows * cols = ${rows * cols}`);
  }
  if (rows === 0) fail('ERR_ASCMH_EMPTY', `${name} has no rows`);
  if (cols === 0) fail('ERR_ASCMH_EMPTY', `${name} has no columns (classes)`);
  for (let i = 0; i < data.length; i++) {
    if (data[i] > 1) {
      const row = Math.floor(i / cols);
      fail('ERR_ASCMH_LABELS', `${name} must hold 0 or 1; found ${data[i]} at row ${row}, column ${i - row * cols}`);
    }
  }
  return { rows, cols, data };
}

/**
 * Checks packed codes: an object { count, bits, data: Uint8Array } whose buffer holds `count`
 * codes, of `bits` bits when given. Returns codes whose data is 8-byte aligned (the native side
 * reads 64-bit words; a misaligned view is copied).
 */
export function validateCodes(c: unknown, name: string, bits?: number): Codes {
  if (c === null || typeof c !== 'object') fail('ERR_ASCMH_CODES', `${name} must be an object { count, bits, data: Uint8Array }`);
  const codes = c as Partial<Codes>;
  if (!isNonNegativeInteger(codes.count) || !Number.isSafeInteger(codes.count)) fail('ERR_ASCMH_CODES', `${name}.count must be a non-negative integer`);
  if (!Number.isInteger(codes.bits) || (codes.bits as number) < 1 || (codes.bits as number) > 65535) {
    fail('ERR_ASCMH_BITS', `${name}.bits must be an integer in [1, 65535], got ${String(codes.bits)}`);
  }
  if (bits !== undefined && codes.bits !== bits) {
    fail('ERR_ASCMH_BITS_MISMATCH', `${name} has ${codes.bits}-bit codes but ${bits}-bit codes are needed`);
  }
  if (!(codes.data instanceof Uint8Array)) fail('ERR_ASCMH_DTYPE', `${name}.data must be a Uint8Array`);
  const need = codes.count * bytesPerCode(codes.bits as number);
  if (codes.data.byteLength < need) {
    fail('ERR_ASCMH_CODES_LENGTH', `${name}.data holds ${codes.data.byteLength} bytes; ${codes.count} codes of ${codes.bits} bits need ${need}`);
  }
  const data = codes.data.byteOffset % 8 === 0 ? codes.data : codes.data.slice();
  return { count: codes.count, bits: codes.bits as number, data };
}

function checkRowsOf(m: unknown, what: string): { rows: number; cols: number; data: Matrix['data'] | LabelMatrix['data'] } {
  const { rows, cols, data } = checkShape(m, what);
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Uint8Array)) {
    fail('ERR_ASCMH_DTYPE', `${what}.data must be a Float32Array, Float64Array or Uint8Array`);
  }
  if (data.length !== rows * cols) fail('ERR_ASCMH_SHAPE', `${what}.data has ${data.length} values but rows * cols = ${rows * cols}`);
  return { rows, cols, data };
}

/** The rows [start, stop) of a matrix, sharing its memory. */
export function sliceRows<M extends Matrix | LabelMatrix>(m: M, start: number, stop: number): M {
  const { rows, cols, data } = checkRowsOf(m, 'matrix');
  if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop < start || stop > rows) {
    fail('ERR_ASCMH_ROWS', `rows [${start}, ${stop}) are not a range within 0..${rows}`);
  }
  return { rows: stop - start, cols, data: data.subarray(start * cols, stop * cols) } as M;
}

/** The listed rows of a matrix, copied; every index must be an integer row of the matrix. */
export function pickRows<M extends Matrix | LabelMatrix>(m: M, indices: ArrayLike<number>): M {
  const { rows, cols, data } = checkRowsOf(m, 'matrix');
  if (indices === null || typeof indices !== 'object' || !Number.isSafeInteger(indices.length)) {
    fail('ERR_ASCMH_ROWS', 'row indices must be an array of integers');
  }
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= rows) fail('ERR_ASCMH_ROWS', `row index ${String(r)} (position ${i}) is outside 0..${rows - 1}`);
  }
  const Ctor = data.constructor as new (n: number) => M['data'];
  const out = new Ctor(indices.length * cols);
  for (let i = 0; i < indices.length; i++) {
    out.set(data.subarray(indices[i] * cols, (indices[i] + 1) * cols), i * cols);
  }
  return { rows: indices.length, cols, data: out } as M;
}

/** The code bits of item i as +1/-1 values. */
export function unpackCode(codes: Codes, i: number): Int8Array {
  const out = new Int8Array(codes.bits);
  const base = i * bytesPerCode(codes.bits);
  for (let j = 0; j < codes.bits; j++) {
    out[j] = (codes.data[base + (j >> 3)] >> (j & 7)) & 1 ? 1 : -1;
  }
  return out;
}
