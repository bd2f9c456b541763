// NumPy .npy reading and writing (format versions 1.0-3.0; float32, float64, uint8, bool; C or
// Fortran order). Files are read straight into the typed array that is returned (one copy of the
// data in memory), or row block by row block for inputs larger than memory should hold.
import { type FileHandle, open } from 'node:fs/promises';
import { fail } from '../core/errors.js';
import { checkPath } from '../core/paths.js';

/** The .npy element types this library reads and writes (bool is read as uint8). */
export type NpyDtype = 'float32' | 'float64' | 'uint8';

/** A .npy array: its element type, shape and data (row-major). */
export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array }
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array };

/** The typed arrays encodeNpy writes. */
export type NpyData = Float32Array | Float64Array | Uint8Array;

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  fortranOrder: boolean;
  /** Byte offset of the first value. */
  dataOffset: number;
  /** Values in the array (the product of the shape). */
  count: number;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const DTYPES: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '<u1': 'uint8', '|b1': 'uint8' };
const CTOR = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array } as const;
/** Enough to hold the header of any real file; longer headers are read in a second step. */
const HEADER_PROBE = 4096;
/** Largest single read(2); larger bodies are read in pieces. */
const READ_PIECE = 1 << 30;

function bad(path: string, why: string): never {
  fail('ERR_ASCMH_NPY', `${path}: ${why}`);
}

/** Bytes of the header preamble (magic, version, header length), or where it says it ends. */
function headerEnd(buf: Uint8Array, path: string): { textStart: number; dataOffset: number; major: number } {
  if (buf.length < 10 || !Buffer.from(buf.subarray(0, 6)).equals(MAGIC)) bad(path, 'not a .npy file (no \\x93NUMPY signature)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6];
  if (major === 1) return { textStart: 10, dataOffset: 10 + view.getUint16(8, true), major };
  if (major === 2 || major === 3) {
    if (buf.length < 12) bad(path, 'truncated header');
    return { textStart: 12, dataOffset: 12 + view.getUint32(8, true), major };
  }
  bad(path, `unsupported .npy format version ${major}.${buf[7]}`);
}

/** Parses the header; `buf` must hold at least the bytes up to `dataOffset`. */
export function parseNpyHeader(buf: Uint8Array, path = '<buffer>'): NpyHeader {
  const { textStart, dataOffset, major } = headerEnd(buf, path);
  if (dataOffset > buf.length) bad(path, 'truncated header');
  const header = Buffer.from(buf.subarray(textStart, dataOffset)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) bad(path, 'malformed header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(path, `bad shape (${shapeText})`);
  const dtype = DTYPES[descr];
  if (!dtype) bad(path, `unsupported dtype '${descr}' (supported: float32, float64, uint8, bool, little-endian)`);
  return { dtype, shape, fortranOrder: fortran === 'True', dataOffset, count: shape.reduce((a, b) => a * b, 1) };
}

function checkBody(header: NpyHeader, available: number, path: string): void {
  const need = header.count * CTOR[header.dtype].BYTES_PER_ELEMENT;
  if (available < need) bad(path, `truncated body: ${available} bytes for ${header.count} values of ${CTOR[header.dtype].BYTES_PER_ELEMENT} bytes`);
}

function toCOrder(header: NpyHeader, data: NpyData): NpyData {
  if (!header.fortranOrder || header.shape.filter((d) => d > 1).length < 2) return data;  // same in either order
  if (header.shape.length === 2) return transpose(data, header.shape[1], header.shape[0]);
  return fortranToC(data, header.shape);
}

/** Any-dimensional Fortran order (first index fastest) to C order (last index fastest). */
function fortranToC<A extends NpyData>(a: A, shape: number[]): A {
  const out = new (a.constructor as new (n: number) => A)(a.length);
  const k = shape.length;
  const stride = new Array<number>(k);  // Fortran stride of each axis
  for (let j = 0, s = 1; j < k; j++) {
    stride[j] = s;
    s *= shape[j];
  }
  const index = new Array<number>(k).fill(0);
  let from = 0;
  for (let c = 0; c < a.length; c++) {
    out[c] = a[from];
    // Advance the C-order odometer (last axis fastest), keeping the Fortran offset in step.
    for (let j = k - 1; j >= 0; j--) {
      if (++index[j] < shape[j]) {
        from += stride[j];
        break;
      }
      from -= (shape[j] - 1) * stride[j];
      index[j] = 0;
    }
  }
  return out;
}

/** Parses a whole .npy file held in memory. */
export function parseNpy(buf: Uint8Array, path = '<buffer>'): NpyArray {
  const header = parseNpyHeader(buf, path);
  checkBody(header, buf.length - header.dataOffset, path);
  const data = new CTOR[header.dtype](header.count);
  new Uint8Array(data.buffer).set(buf.subarray(header.dataOffset, header.dataOffset + data.byteLength));
  return { dtype: header.dtype, shape: header.shape, data: toCOrder(header, data) } as NpyArray;
}

function transpose<A extends NpyData>(a: A, rows: number, cols: number): A {
  const out = new (a.constructor as new (n: number) => A)(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

async function openForReading(path: string): Promise<FileHandle> {
  checkPath(path);
  try {
    return await open(path, 'r');
  } catch (err) {
    fail('ERR_ASCMH_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function readExactly(file: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  for (let done = 0; done < target.length; ) {
    const length = Math.min(READ_PIECE, target.length - done);
    const { bytesRead } = await file.read(target, done, length, position + done);
    if (bytesRead === 0) bad(path, 'file ended while reading');
    done += bytesRead;
  }
}

async function readHeader(file: FileHandle, path: string): Promise<{ header: NpyHeader; size: number }> {
  const { size } = await file.stat();
  let probe = new Uint8Array(Math.min(size, HEADER_PROBE));
  await readExactly(file, probe, 0, path);
  const { dataOffset } = headerEnd(probe, path);
  if (dataOffset > probe.length) {
    if (dataOffset > size) bad(path, 'truncated header');
    probe = new Uint8Array(dataOffset);
    await readExactly(file, probe, 0, path);
  }
  const header = parseNpyHeader(probe, path);
  checkBody(header, size - header.dataOffset, path);
  return { header, size };
}

/** Reads a .npy file into one typed array (no intermediate file buffer). */
export async function readNpy(path: string): Promise<NpyArray> {
  const file = await openForReading(path);
  try {
    const { header } = await readHeader(file, path);
    const data = new CTOR[header.dtype](header.count);
    await readExactly(file, new Uint8Array(data.buffer), header.dataOffset, path);
    return { dtype: header.dtype, shape: header.shape, data: toCOrder(header, data) } as NpyArray;
  } finally {
    await file.close();
  }
}

/**
 * Row-block reader for a 2-D (or 1-D, read as one column) .npy file, so that inputs larger than
 * memory can be processed in batches. C-order files are read block by block; a Fortran-order
 * file has no contiguous rows, so it is read whole (once) and served from memory.
 */
export class NpyRowReader {
  private constructor(
    private readonly file: FileHandle | undefined,
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly rows: number,
    readonly cols: number,
    private readonly dataOffset: number,
    private readonly loaded?: NpyData,
  ) {}

  /** Opens a .npy file to read in row batches, and reads its header. */
  static async open(path: string): Promise<NpyRowReader> {
    const file = await openForReading(path);
    try {
      const { header } = await readHeader(file, path);
      if (header.shape.length !== 1 && header.shape.length !== 2) bad(path, `expected a 2-D array, found shape (${header.shape.join(', ')})`);
      const [rows, cols = 1] = header.shape;
      if (header.fortranOrder && rows > 1 && cols > 1) {
        await file.close();
        const whole = await readNpy(path);
        return new NpyRowReader(undefined, path, header.dtype, rows, cols, 0, whole.data);
      }
      return new NpyRowReader(file, path, header.dtype, rows, cols, header.dataOffset);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
  }

  /** Rows [start, start + count), C order. */
  async read(start: number, count: number): Promise<NpyData> {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > this.rows) {
      fail('ERR_ASCMH_OPTION', `${this.path}: rows [${start}, ${start + count}) are outside 0..${this.rows}`);
    }
    if (this.loaded) return this.loaded.slice(start * this.cols, (start + count) * this.cols);
    const Ctor = CTOR[this.dtype];
    const data = new Ctor(count * this.cols);
    await readExactly(this.file!, new Uint8Array(data.buffer), this.dataOffset + start * this.cols * Ctor.BYTES_PER_ELEMENT, this.path);
    return data;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.file?.close();
  }
}

/** The header of a version 1.0 C-order .npy file of this dtype and shape (64-byte aligned). */
export function npyHeader(dtype: NpyDtype, shape: number[]): Buffer {
  const descr = dtype === 'float32' ? '<f4' : dtype === 'float64' ? '<f8' : '|u1';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const total = 10 + text.length + 1;
  text += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(text.length, 8);
  return Buffer.concat([prefix, Buffer.from(text, 'latin1')]);
}

export function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  fail('ERR_ASCMH_DTYPE', `.npy data must be a Float32Array, Float64Array or Uint8Array, got ${Object.prototype.toString.call(data).slice(8, -1)}`);
}

/** Serialises an array as .npy version 1.0 (C order); the shape must hold exactly its values. */
export function encodeNpy(data: NpyData, shape: number[]): Buffer {
  const dtype = dtypeOf(data);
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail('ERR_ASCMH_SHAPE', `a .npy shape is a non-empty list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) fail('ERR_ASCMH_SHAPE', `shape (${shape.join(', ')}) holds ${count} values, the data has ${data.length}`);
  return Buffer.concat([npyHeader(dtype, shape), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
