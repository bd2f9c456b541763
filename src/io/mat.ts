// MATLAB .mat reader: level 5 MAT-files (v5/v6/v7, parsed here) and v7.3 MAT-files (HDF5, through h5wasm).
import type { BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, inflateSync } from 'node:zlib';
import type { Dataset, Entity, OutputData } from 'h5wasm/node';
import { AscmhError, fail, missingDependency } from '../core/errors.js';
import { checkPath } from '../core/paths.js';

/** A numeric or logical 2-D variable of a .mat file, as a dense row-major matrix. */
export interface MatMatrix {
  name: string;
  rows: number;
  cols: number;
  className: string;
  data: Float64Array | Float32Array | Uint8Array;
}

type MatVariableInfo = Omit<MatMatrix, 'data'>;
type NumericArray = MatMatrix['data'];

/** One variable of an open file: a numeric matrix, or one with the reason why it is not (e.g. 'class char'). */
type MatVariable = { name: string; info: MatVariableInfo; read(): Promise<MatMatrix> } | { name: string; whyNot: string };

interface MatSource {
  variables: MatVariable[];
  close(): Promise<void>;
}

/** Lists the numeric 2-D variables of a .mat file with their shapes, without reading their data where the format allows. */
export async function listMatVariables(path: string): Promise<Array<{ name: string; rows: number; cols: number; className: string }>> {
  return withMatSource(path, async (variables) =>
    variables.flatMap((variable) => ('info' in variable ? [variable.info] : [])),
  );
}

/** Reads the named variables (all numeric 2-D variables when names is omitted). Errors name the file and the variable. */
export async function readMat(path: string, names?: string[]): Promise<Map<string, MatMatrix>> {
  return withMatSource(path, async (variables) => {
    const byName = new Map(variables.map((variable) => [variable.name, variable]));
    const wanted = names ?? variables.filter((variable) => 'info' in variable).map((variable) => variable.name);
    // Every name is checked before any data is read, so a typo fails fast.
    const readers = wanted.map((name) => {
      const variable = byName.get(name);
      if (!variable) bad(path, `no variable '${name}' (variables: ${[...byName.keys()].join(', ') || 'none'})`);
      if ('whyNot' in variable) bad(path, `variable '${name}' is not a numeric matrix (${variable.whyNot})`);
      return variable;
    });
    const matrices = new Map<string, MatMatrix>();
    for (const variable of readers) matrices.set(variable.name, await variable.read());
    return matrices;
  });
}

function bad(where: string, why: string): never {
  fail('ERR_ASCMH_MAT', `${where}: ${why}`);
}

function cannotRead(path: string, err: unknown): never {
  fail('ERR_ASCMH_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function withMatSource<T>(path: string, body: (variables: MatVariable[]) => Promise<T>): Promise<T> {
  const source = await openMatSource(path);
  try {
    return await body(source.variables);
  } finally {
    await source.close();
  }
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** v7.3 files are HDF5 files whose 512-byte user block holds the MAT-file header. */
const HDF5_OFFSET = 512;

async function openMatSource(path: string): Promise<MatSource> {
  checkPath(path, '.mat path');
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    cannotRead(path, err);
  }
  try {
    const format = await detectFormat(path, handle);
    if (format.kind === 'v7.3') {
      await handle.close();
      return await openV73(path, format.inode);
    }
    const variables = await listLevel5(path, handle, format.size, format.littleEndian);
    return { variables, close: () => handle.close() };
  } catch (err) {
    await handle.close().catch(() => undefined); // already closed for v7.3
    throw err;
  }
}

type MatFormat = { kind: 'v7.3'; inode: string } | { kind: 'level 5'; size: number; littleEndian: boolean };

async function detectFormat(path: string, handle: FileHandle): Promise<MatFormat> {
  let stats: BigIntStats;
  try {
    stats = await handle.stat({ bigint: true });
  } catch (err) {
    cannotRead(path, err);
  }
  const size = Number(stats.size);
  const header = await readAt(handle, path, 0, Math.min(size, 128));
  const text = header.toString('latin1', 0, Math.min(header.length, 116));
  if (text.startsWith('MATLAB 7.3 MAT-file')) {
    const signature = size >= HDF5_OFFSET + 8 ? await readAt(handle, path, HDF5_OFFSET, 8) : undefined;
    if (!signature?.equals(HDF5_SIGNATURE)) bad(path, `has a 'MATLAB 7.3 MAT-file' header but no HDF5 data at byte ${HDF5_OFFSET}`);
    return { kind: 'v7.3', inode: `${stats.dev}:${stats.ino}` };
  }
  if (text.startsWith('MATLAB 5.0 MAT-file')) {
    if (header.length < 128) bad(path, `truncated header: ${header.length} of 128 bytes`);
    const indicator = header.toString('latin1', 126, 128);
    if (indicator !== 'IM' && indicator !== 'MI') bad(path, `bad endian indicator '${indicator}' (expected 'IM' or 'MI')`);
    // The writer stored the 16-bit value 'MI' in its own byte order, so 'IM' on disk means little-endian.
    const littleEndian = indicator === 'IM';
    const version = littleEndian ? header.readUInt16LE(124) : header.readUInt16BE(124);
    if (version !== 0x0100) bad(path, `unsupported MAT-file version 0x${version.toString(16).padStart(4, '0')} (expected 0x0100)`);
    return { kind: 'level 5', size, littleEndian };
  }
  if (looksLikeLevel4(header)) bad(path, 'level 4 MAT-files (MATLAB 4 format) are not supported; save the file with -v7 or -v7.3');
  bad(path, "not a MAT-file (no 'MATLAB 5.0 MAT-file' or 'MATLAB 7.3 MAT-file' header)");
}

/** Exactly `length` bytes at `position`; fewer bytes in the file mean it is truncated. */
async function readAt(handle: FileHandle, path: string, position: number, length: number): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = Buffer.allocUnsafe(length);
  } catch {
    bad(path, `cannot allocate ${length} bytes at byte ${position}`);
  }
  let filled = 0;
  while (filled < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(bytes, filled, length - filled, position + filled));
    } catch (err) {
      cannotRead(path, err);
    }
    if (bytesRead === 0) bad(path, `truncated at byte ${position + filled}`);
    filled += bytesRead;
  }
  return bytes;
}

/** Level 4 files have no text header: they start with five int32s (type MOPT, rows, cols, imaginary flag, name length). */
function looksLikeLevel4(header: Buffer): boolean {
  if (header.length < 20) return false;
  return [true, false].some((littleEndian) => {
    const [mopt, rows, cols, imaginary, nameLength] = [0, 4, 8, 12, 16].map((at) => (littleEndian ? header.readInt32LE(at) : header.readInt32BE(at)));
    const [o, p, t] = [Math.floor(mopt / 100) % 10, Math.floor(mopt / 10) % 10, mopt % 10];
    return mopt >= 0 && mopt < 5000 && o === 0 && p <= 5 && t <= 2 && rows >= 0 && cols >= 0 && (imaginary === 0 || imaginary === 1) && nameLength > 0 && nameLength < 4096;
  });
}

// ---------------------------------------------------------------------------------------------
// Shapes and values shared by both formats

const COMPLEX = 'complex values are not supported';
const NUMERIC_CLASSES = new Set(['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical']);

/**
 * MATLAB's squeeze: 2-D dims are the matrix; N-D arrays lose their singleton dims and a single
 * remaining dim becomes a column. Undefined when more than two dims are left.
 */
function matrixShape(dims: number[]): [number, number] | undefined {
  if (dims.length <= 2) return [dims[0] ?? 1, dims[1] ?? 1];
  const kept = dims.filter((dim) => dim !== 1);
  return kept.length > 2 ? undefined : [kept[0] ?? 1, kept[1] ?? 1];
}

function describeArray(dims: number[]): string {
  return `a ${dims.join('x')} array with more than 2 non-singleton dimensions`;
}

/** Float32Array for single, Uint8Array for uint8 and logical, Float64Array for the rest. */
function allocate(where: string, className: string, count: number): NumericArray {
  if (!Number.isSafeInteger(count)) bad(where, `${count} values are too many`);
  try {
    if (className === 'single') return new Float32Array(count);
    if (className === 'uint8' || className === 'logical') return new Uint8Array(count);
    return new Float64Array(count);
  } catch {
    bad(where, `cannot allocate ${count} values`);
  }
}

/** Row-major copy of a column-major rows x cols matrix (vectors need no copy). */
function toRowMajor(where: string, columnMajor: NumericArray, className: string, rows: number, cols: number): NumericArray {
  if (rows <= 1 || cols <= 1) return columnMajor;
  const rowMajor = allocate(where, className, columnMajor.length);
  const TILE = 64; // tiles keep both the reads and the writes in cache
  for (let j0 = 0; j0 < cols; j0 += TILE) {
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const jEnd = Math.min(cols, j0 + TILE);
      const iEnd = Math.min(rows, i0 + TILE);
      for (let j = j0; j < jEnd; j++) {
        const column = j * rows;
        for (let i = i0; i < iEnd; i++) rowMajor[i * cols + j] = columnMajor[column + i];
      }
    }
  }
  return rowMajor;
}

/** Compressed sparse columns (0-based row indices ir, column starts jc) into the row-major dense matrix `out`. */
function sparseToDense(where: string, rows: number, cols: number, ir: Float64Array, jc: Float64Array, values: NumericArray, out: NumericArray): void {
  if (jc.length !== cols + 1) bad(where, `sparse jc has ${jc.length} entries for ${cols} columns`);
  const nonzeros = jc[cols];
  if (jc[0] !== 0 || nonzeros > ir.length || nonzeros > values.length) {
    bad(where, `sparse jc (${nonzeros} nonzeros) does not match ir (${ir.length}) and the values (${values.length})`);
  }
  for (let col = 0; col < cols; col++) {
    const end = jc[col + 1];
    if (!(end >= jc[col] && end <= nonzeros) || !Number.isInteger(end)) bad(where, `sparse jc is not increasing up to ${nonzeros} at column ${col}`);
    for (let k = jc[col]; k < end; k++) {
      const row = ir[k];
      if (!(row >= 0 && row < rows) || !Number.isInteger(row)) bad(where, `sparse row index ${row} is outside 0..${rows - 1}`);
      out[row * cols + col] = values[k];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Level 5 MAT-files: a 128-byte header, then one data element (tag: type, byte count) per variable

const MI_INT8 = 1;
const MI_UINT8 = 2;
const MI_INT32 = 5;
const MI_UINT32 = 6;
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
const MI_UTF8 = 16;

interface DataType {
  bytes: number;
  /** The output array holding this type as is, when the bytes can be copied. */
  native?: typeof Float64Array | typeof Float32Array | typeof Uint8Array;
  get(view: DataView, at: number, littleEndian: boolean): number;
}

/** The numeric data types, by their codes: miINT8 1, miUINT8 2, ... miDOUBLE 9, miINT64 12, miUINT64 13. */
const DATA_TYPES: Record<number, DataType> = {
  1: { bytes: 1, get: (view, at) => view.getInt8(at) },
  2: { bytes: 1, native: Uint8Array, get: (view, at) => view.getUint8(at) },
  3: { bytes: 2, get: (view, at, le) => view.getInt16(at, le) },
  4: { bytes: 2, get: (view, at, le) => view.getUint16(at, le) },
  5: { bytes: 4, get: (view, at, le) => view.getInt32(at, le) },
  6: { bytes: 4, get: (view, at, le) => view.getUint32(at, le) },
  7: { bytes: 4, native: Float32Array, get: (view, at, le) => view.getFloat32(at, le) },
  9: { bytes: 8, native: Float64Array, get: (view, at, le) => view.getFloat64(at, le) },
  // int64 and uint64 values beyond 2^53 lose precision in a Float64Array.
  12: { bytes: 8, get: (view, at, le) => Number(view.getBigInt64(at, le)) },
  13: { bytes: 8, get: (view, at, le) => Number(view.getBigUint64(at, le)) },
};

const MX_SPARSE_CLASS = 5;
const MX_CLASS_NAMES = ['unknown', 'cell', 'struct', 'object', 'char', 'sparse', 'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'function_handle', 'opaque'];
const FLAG_COMPLEX = 0x800;
const FLAG_LOGICAL = 0x200;

/** The bytes from which listing reads a variable's header: enough for its flags, dims and name. */
const HEADER_PEEK_BYTES = 512;
/** 512 compressed bytes inflate to at most about 530 KB. */
const PEEK_INFLATE_LIMIT = 1 << 20;

/** The most bytes a compressed matrix of this shape can inflate to: values (or sparse triplets) plus headers. */
function inflateLimit(header: MatrixHeader): number {
  const shape = matrixShape(header.dims) ?? [0, 0];
  return Math.min(2 ** 31, shape[0] * shape[1] * 16 + shape[1] * 8 + PEEK_INFLATE_LIMIT);
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Walks the elements of a level 5 element body. next() is undefined when the bytes end before the element does. */
class SubElements {
  private position = 0;
  private readonly view: DataView;
  constructor(private readonly where: string, private readonly bytes: Uint8Array, private readonly littleEndian: boolean) {
    this.view = dataView(bytes);
  }
  next(): { type: number; data: Uint8Array } | undefined {
    if (this.position + 8 > this.bytes.length) return undefined;
    const first = this.view.getUint32(this.position, this.littleEndian);
    const smallBytes = first >>> 16;
    if (smallBytes !== 0) {
      // Small data element: type and byte count share the first 4 bytes, the data (up to 4 bytes) fills the next 4.
      if (smallBytes > 4) bad(this.where, `small data element of ${smallBytes} bytes (at most 4)`);
      const element = { type: first & 0xffff, data: this.bytes.subarray(this.position + 4, this.position + 4 + smallBytes) };
      this.position += 8;
      return element;
    }
    const byteCount = this.view.getUint32(this.position + 4, this.littleEndian);
    const start = this.position + 8;
    if (byteCount > this.bytes.length - start) return undefined;
    this.position = start + Math.ceil(byteCount / 8) * 8;
    return { type: first, data: this.bytes.subarray(start, start + byteCount) };
  }
}

interface MatrixHeader {
  classCode: number;
  complex: boolean;
  logical: boolean;
  dims: number[];
  name: string;
  /** Positioned after the name: the data elements follow. */
  elements: SubElements;
}

/** Array flags, dimensions and name of a miMATRIX body; undefined when the bytes end first. */
function parseMatrixHeader(where: string, body: Uint8Array, littleEndian: boolean): MatrixHeader | undefined {
  const elements = new SubElements(where, body, littleEndian);
  const flags = elements.next();
  if (!flags) return undefined;
  if (flags.type !== MI_UINT32 || flags.data.length !== 8) bad(where, 'malformed array flags');
  const flagWord = dataView(flags.data).getUint32(0, littleEndian);
  const dimsElement = elements.next();
  if (!dimsElement) return undefined;
  if (dimsElement.type !== MI_INT32 || dimsElement.data.length < 8 || dimsElement.data.length % 4 !== 0) bad(where, 'malformed dimensions');
  const dimsView = dataView(dimsElement.data);
  const dims = Array.from({ length: dimsElement.data.length / 4 }, (_, k) => dimsView.getInt32(k * 4, littleEndian));
  if (dims.some((dim) => dim < 0)) bad(where, `negative dimension in ${dims.join('x')}`);
  const nameElement = elements.next();
  if (!nameElement) return undefined;
  if (nameElement.type !== MI_INT8 && nameElement.type !== MI_UINT8 && nameElement.type !== MI_UTF8) bad(where, 'malformed array name');
  return {
    classCode: flagWord & 0xff,
    complex: (flagWord & FLAG_COMPLEX) !== 0,
    logical: (flagWord & FLAG_LOGICAL) !== 0,
    dims,
    name: Buffer.from(nameElement.data).toString('utf8'),
    elements,
  };
}

/** The variable's shape and class, or why it is not a numeric matrix. */
function describeLevel5(header: MatrixHeader): MatVariableInfo | string {
  const { classCode, dims, name } = header;
  const isNumeric = classCode === MX_SPARSE_CLASS || (classCode >= 6 && classCode <= 15);
  if (!isNumeric) return `class ${MX_CLASS_NAMES[classCode] ?? classCode}`;
  if (header.complex) return COMPLEX;
  const shape = matrixShape(dims);
  if (!shape) return describeArray(dims);
  const className = header.logical ? 'logical' : classCode === MX_SPARSE_CLASS ? 'double' : MX_CLASS_NAMES[classCode];
  return { name, rows: shape[0], cols: shape[1], className };
}

async function listLevel5(path: string, handle: FileHandle, size: number, littleEndian: boolean): Promise<MatVariable[]> {
  const variables: MatVariable[] = [];
  let offset = 128;
  while (offset < size) {
    const where = `${path}: element at byte ${offset}`;
    if (size - offset < 8) bad(where, `truncated: ${size - offset} bytes left for an 8-byte tag`);
    const tag = dataView(await readAt(handle, path, offset, 8));
    const type = tag.getUint32(0, littleEndian);
    const byteCount = tag.getUint32(4, littleEndian);
    const start = offset + 8;
    if (byteCount > size - start) bad(where, `truncated: the element needs ${byteCount} bytes, ${size - start} are left`);
    if (type !== MI_MATRIX && type !== MI_COMPRESSED) bad(where, `unexpected element type ${type} (a variable is miMATRIX or miCOMPRESSED)`);
    const body = (context: string, peek: boolean, limit?: number) => level5Body(context, handle, path, start, byteCount, type === MI_COMPRESSED, littleEndian, peek, limit);

    let peeked = await body(where, true);
    let header = parseMatrixHeader(where, peeked.bytes, littleEndian);
    if (!header && !peeked.complete) {
      peeked = await body(where, false, 64 << 20);  // a header longer than 512 bytes: a long name, many dims
      header = parseMatrixHeader(where, peeked.bytes, littleEndian);
    }
    if (!header) bad(where, 'truncated array header');
    // A nameless matrix is MATLAB's subsystem data (class and function handle internals), not a variable.
    const limit = inflateLimit(header);
    if (header.name !== '') variables.push(level5Variable(`${path}: variable '${header.name}'`, header, (context) => body(context, false, limit), littleEndian));
    // A miMATRIX byte count includes the padding of its parts; compressed elements have none (as scipy and MATLAB read them).
    offset = start + byteCount;
  }
  return variables;
}

function level5Variable(where: string, header: MatrixHeader, wholeBody: (where: string) => Promise<{ bytes: Uint8Array }>, littleEndian: boolean): MatVariable {
  const { name } = header;
  const info = describeLevel5(header);
  if (typeof info === 'string') return { name, whyNot: info };
  const read = async () => {
    const full = parseMatrixHeader(where, (await wholeBody(where)).bytes, littleEndian);
    if (!full) bad(where, 'truncated array header');
    return readLevel5Matrix(where, info, full, littleEndian);
  };
  return { name, info, read };
}

/**
 * The body (after its tag) of the miMATRIX element stored at `start`, inflated if compressed.
 * With `peek`, only its first bytes, enough for the header; `complete` says whether that is all of it.
 */
async function level5Body(where: string, handle: FileHandle, path: string, start: number, byteCount: number, compressed: boolean,
  littleEndian: boolean, peek: boolean, maxInflated = PEEK_INFLATE_LIMIT): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const length = peek ? Math.min(byteCount, HEADER_PEEK_BYTES) : byteCount;
  const stored = await readAt(handle, path, start, length);
  const complete = length === byteCount;
  if (!compressed) return { bytes: stored, complete };
  let inflated: Buffer;
  try {
    // A prefix of the stream inflates as far as it goes when flushed instead of finished. The
    // output is capped by what the matrix can need: a small file must not inflate to gigabytes.
    inflated = inflateSync(stored, { maxOutputLength: maxInflated, ...(complete ? {} : { finishFlush: zlibConstants.Z_SYNC_FLUSH }) });
  } catch (err) {
    bad(where, `corrupted compressed data, or more data than a ${'matrix of its size'} holds (${errorText(err)})`);
  }
  if (inflated.length < 8) {
    if (complete) bad(where, 'compressed element holds no data element');
    return { bytes: new Uint8Array(0), complete };
  }
  const tag = dataView(inflated);
  const type = tag.getUint32(0, littleEndian);
  const bodyBytes = tag.getUint32(4, littleEndian);
  if (type !== MI_MATRIX) bad(where, `compressed element holds element type ${type}, not miMATRIX`);
  if (complete && bodyBytes > inflated.length - 8) bad(where, `truncated compressed matrix: ${inflated.length - 8} of ${bodyBytes} bytes`);
  return { bytes: inflated.subarray(8, 8 + bodyBytes), complete };
}

/** Decodes a numeric data element into `out` (one value per slot), converting from whatever type it was stored as. */
function decodeValues(where: string, element: { type: number; data: Uint8Array }, littleEndian: boolean, out: NumericArray): void {
  const type = DATA_TYPES[element.type];
  if (!type) bad(where, `data element of type ${element.type} is not numeric`);
  if (element.data.length !== out.length * type.bytes) {
    bad(where, `data element has ${element.data.length} bytes, ${out.length} values need ${out.length * type.bytes}`);
  }
  if (littleEndian && type.native !== undefined && out instanceof type.native) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(element.data);
    return;
  }
  const view = dataView(element.data);
  for (let k = 0, at = 0; k < out.length; k++, at += type.bytes) out[k] = type.get(view, at, littleEndian);
}

/** The values of a numeric data element, however many there are. */
function decodeAll(where: string, element: { type: number; data: Uint8Array }, littleEndian: boolean, className: string): NumericArray {
  const bytes = DATA_TYPES[element.type]?.bytes;
  if (bytes === undefined) bad(where, `data element of type ${element.type} is not numeric`);
  if (element.data.length % bytes !== 0) bad(where, `data element of ${element.data.length} bytes is not a whole number of values`);
  const out = allocate(where, className, element.data.length / bytes);
  decodeValues(where, element, littleEndian, out);
  return out;
}

/** The data of a numeric matrix whose header (re-read from the whole element) gave `info` when listed. */
function readLevel5Matrix(where: string, info: MatVariableInfo, header: MatrixHeader, littleEndian: boolean): MatMatrix {
  const { rows, cols, className } = info;
  const nextElement = (what: string) => header.elements.next() ?? bad(where, `truncated: the ${what} element is missing or cut short`);
  if (header.classCode === MX_SPARSE_CLASS) {
    const ir = decodeAll(where, nextElement('sparse ir'), littleEndian, 'double') as Float64Array;
    const jc = decodeAll(where, nextElement('sparse jc'), littleEndian, 'double') as Float64Array;
    const values = decodeAll(where, nextElement('sparse values'), littleEndian, className);
    const dense = allocate(where, className, rows * cols);
    sparseToDense(where, rows, cols, ir, jc, values, dense);
    return { ...info, data: dense };
  }
  const columnMajor = allocate(where, className, rows * cols);
  decodeValues(where, nextElement('real part'), littleEndian, columnMajor);
  return { ...info, data: toRowMajor(where, columnMajor, className, rows, cols) };
}

// ---------------------------------------------------------------------------------------------
// v7.3 MAT-files: HDF5, one dataset (or a group, for sparse matrices) per variable, dims reversed

type H5wasm = typeof import('h5wasm/node').default;
let h5wasmLoading: Promise<H5wasm> | undefined;

/**
 * h5wasm (4 MB of WebAssembly) is loaded on the first v7.3 file, so level 5 readers never pay for
 * it. It is an optional peer dependency: without it, a v7.3 file is ERR_ASCMH_MISSING_DEPENDENCY.
 */
function loadH5wasm(): Promise<H5wasm> {
  h5wasmLoading ??= (async () => {
    // h5wasm binds console.error while it loads. Its warnings about undecodable names in damaged
    // files would add lines to the one-line error we throw for them, so they are dropped.
    const consoleError = console.error;
    console.error = (...args: unknown[]) => {
      if (!(typeof args[0] === 'string' && args[0].includes('Invalid UTF-8'))) consoleError.apply(console, args);
    };
    try {
      const { default: h5wasm } = await import('h5wasm/node').catch((err: NodeJS.ErrnoException) =>
        err?.code === 'ERR_MODULE_NOT_FOUND' ? missingDependency('h5wasm', 'reading v7.3 (HDF5) .mat files') : Promise.reject(err),
      );
      const module = await h5wasm.ready;
      // HDF5 errors then throw, with HDF5's error stack as message, instead of going to console.error.
      module.activate_throwing_error_handler();
      return h5wasm;
    } finally {
      console.error = consoleError;
    }
  })();
  return h5wasmLoading;
}

/** h5wasm's heap is at most 2 GB: datasets are read this many values at a time. */
const H5_BLOCK_VALUES = 1 << 24;
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_COMPOUND = 6;

/** The innermost cause of an HDF5 error stack, or the error's message. */
function h5ErrorText(err: unknown): string {
  const text = errorText(err);
  const frames = [...text.matchAll(/#\d+: .* in \S+\(\): (.*)/g)];
  return frames.length > 0 ? frames[frames.length - 1][1].trim() : text.split('\n')[0];
}

function rethrowH5(where: string, err: unknown): never {
  if (err instanceof AscmhError) throw err;
  bad(where, `HDF5 error: ${h5ErrorText(err)}`);
}

/**
 * Files (device:inode) on which an h5wasm call failed after the file was opened. The HDF5 error is thrown from
 * inside h5wasm's C++ code, which then skips closing what it had opened, so HDF5 keeps the file open and hands
 * that open file, with its cache of the old contents, to every later open of the same inode (even after the file
 * is rewritten or replaced): such opens are refused rather than served stale data.
 */
const h5HalfOpenFiles = new Set<string>();
/** Rethrows an error of an open file as an AscmhError, remembering the file if h5wasm failed. */
type H5Failure = (where: string, err: unknown) => never;

async function openV73(path: string, inode: string): Promise<MatSource> {
  if (h5HalfOpenFiles.has(inode)) {
    bad(path, 'an HDF5 error on this file (or an earlier file with the same inode) left it open inside h5wasm, '
      + 'which would now read stale data; restart the process to read it');
  }
  let h5wasm: H5wasm;
  try {
    h5wasm = await loadH5wasm();
  } catch (err) {
    if (err instanceof AscmhError && err.code === 'ERR_ASCMH_MISSING_DEPENDENCY') throw new AscmhError(err.code, `${path}: ${err.message}`);
    bad(path, `cannot load h5wasm to read this v7.3 MAT-file: ${errorText(err)}`);
  }
  let file: InstanceType<H5wasm['File']>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (err) {
    rethrowH5(path, err);
  }
  const failed: H5Failure = (where, err) => {
    if (!(err instanceof AscmhError)) h5HalfOpenFiles.add(inode);
    rethrowH5(where, err);
  };
  // Nothing is left to report once the variables are read (or have failed), so closing errors are dropped.
  const close = async () => {
    try {
      file.close();
    } catch {
      // see above
    }
  };
  try {
    const variables: MatVariable[] = [];
    for (const name of file.keys()) {
      // '#refs#' holds the contents of cells and structs, '#subsystem#' MATLAB's object internals.
      if (name.startsWith('#')) continue;
      const where = `${path}: variable '${name}'`;
      try {
        const entity = file.get(name);
        if (entity instanceof h5wasm.Dataset || entity instanceof h5wasm.Group) variables.push(v73Variable(h5wasm, where, name, entity, failed));
      } catch (err) {
        failed(where, err);
      }
    }
    return { variables, close };
  } catch (err) {
    await close();
    failed(path, err);
  }
}

function attribute(entity: Entity, name: string): OutputData | null | undefined {
  if (!('attrs' in entity)) return undefined;
  const attributes = entity.attrs;
  return Object.hasOwn(attributes, name) ? attributes[name].value : undefined;
}

/** A dataset's values in HDF5 (row-major) order, read in blocks along its first dimension. */
function readDataset(where: string, dataset: Dataset, out: NumericArray): void {
  const shape = dataset.shape ?? [];
  const stride = shape.slice(1).reduce((a, b) => a * b, 1);
  if (out.length === 0 || stride === 0) return;
  const first = shape[0] ?? 1;
  const step = Math.max(1, Math.floor(H5_BLOCK_VALUES / stride));
  for (let start = 0; start < first; start += step) {
    const end = Math.min(first, start + step);
    const block = dataset.slice([[start, end]]);
    const offset = start * stride;
    if (!ArrayBuffer.isView(block) || block instanceof DataView || block.length !== (end - start) * stride) bad(where, 'dataset did not read as numbers');
    if (block instanceof BigInt64Array || block instanceof BigUint64Array) {
      for (let k = 0; k < block.length; k++) out[offset + k] = Number(block[k]);
    } else {
      out.set(block, offset);
    }
  }
}

function datasetLength(dataset: Dataset): number {
  return (dataset.shape ?? []).reduce((a, b) => a * b, 1);
}

/** The MATLAB class of a dataset without a MATLAB_class attribute (written by another tool), from its HDF5 type. */
function classFromH5Type(metadata: Dataset['metadata']): string | undefined {
  if (metadata.type === H5T_FLOAT) return metadata.size === 8 ? 'double' : metadata.size === 4 ? 'single' : undefined;
  if (metadata.type === H5T_INTEGER) return `${metadata.signed ? 'int' : 'uint'}${metadata.size * 8}`;
  return undefined;
}

function v73Variable(h5wasm: H5wasm, where: string, name: string, entity: Entity, failed: H5Failure): MatVariable {
  const matlabClass = attribute(entity, 'MATLAB_class');
  if (entity instanceof h5wasm.Group) {
    const className = matlabClass == null ? undefined : String(matlabClass);
    const sparseRows = attribute(entity, 'MATLAB_sparse');
    if (sparseRows == null) return { name, whyNot: className === undefined ? 'an HDF5 group' : `class ${className}` };
    if (className !== 'double' && className !== 'logical') return { name, whyNot: `sparse class ${className}` };
    const jc = entity.get('jc');
    if (!(jc instanceof h5wasm.Dataset)) bad(where, 'sparse matrix without jc');
    const data = entity.get('data');
    if (data instanceof h5wasm.Dataset && data.metadata.type === H5T_COMPOUND) return { name, whyNot: COMPLEX };
    const info = { name, rows: Number(sparseRows), cols: datasetLength(jc) - 1, className };
    if (!Number.isSafeInteger(info.rows) || info.rows < 0 || info.cols < 0) bad(where, `bad sparse shape ${info.rows}x${info.cols}`);
    const read = async () => {
      try {
        const values = (part: Entity | null, className: string) => {
          if (part === null) return allocate(where, className, 0); // MATLAB omits ir and data when there are no nonzeros
          if (!(part instanceof h5wasm.Dataset)) bad(where, 'sparse part is not a dataset');
          const out = allocate(where, className, datasetLength(part));
          readDataset(where, part, out);
          return out;
        };
        const dense = allocate(where, className, info.rows * info.cols);
        const ir = values(entity.get('ir'), 'double') as Float64Array;
        sparseToDense(where, info.rows, info.cols, ir, values(jc, 'double') as Float64Array, values(data, className), dense);
        return { ...info, data: dense };
      } catch (err) {
        failed(where, err);
      }
    };
    return { name, info, read };
  }
  const dataset = entity as Dataset;
  const metadata = dataset.metadata;
  const className = matlabClass == null ? classFromH5Type(metadata) : String(matlabClass);
  if (className === undefined || !NUMERIC_CLASSES.has(className)) return { name, whyNot: `class ${className ?? 'unknown'}` };
  if (metadata.type === H5T_COMPOUND) return { name, whyNot: COMPLEX };
  if (metadata.type !== H5T_INTEGER && metadata.type !== H5T_FLOAT) return { name, whyNot: `${className} stored as a non-numeric HDF5 type` };
  const empty = Boolean(attribute(dataset, 'MATLAB_empty'));
  const dims = empty ? readEmptyDims(where, dataset) : [...(dataset.shape ?? [])].reverse();
  const shape = matrixShape(dims);
  if (!shape) return { name, whyNot: describeArray(dims) };
  const info = { name, rows: shape[0], cols: shape[1], className };
  const read = async () => {
    try {
      const columnMajor = allocate(where, className, info.rows * info.cols);
      if (!empty) readDataset(where, dataset, columnMajor);
      return { ...info, data: toRowMajor(where, columnMajor, className, info.rows, info.cols) };
    } catch (err) {
      failed(where, err);
    }
  };
  return { name, info, read };
}

/** MATLAB writes an empty array as a dataset holding its dims. */
function readEmptyDims(where: string, dataset: Dataset): number[] {
  const dims = allocate(where, 'double', datasetLength(dataset));
  readDataset(where, dataset, dims);
  if (!dims.includes(0)) bad(where, `MATLAB_empty array with dims ${dims.join('x')}`);
  return Array.from(dims);
}
