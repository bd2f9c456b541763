// Code files for other tools. A code is stored as ceil(bits/8) bytes, bit j of the code in bit
// (j mod 8) of byte floor(j/8) (least significant bit first): the in-memory layout without the
// padding to 64-bit words. This is the layout FAISS's binary indexes take (d = 8 * bytes), so a
// raw file loads there as numpy.fromfile(path, numpy.uint8).reshape(-1, bytes).
//   .npy  uint8 array of shape (count, ceil(bits/8))
//   other raw rows, nothing else (the code length comes from the model or the caller)
import { open, stat } from 'node:fs/promises';
import { AtomicFile } from './atomic-file.js';
import { fail } from '../core/errors.js';
import { type Codes, bytesPerCode, validateCodes } from '../core/matrix.js';
import { checkPath } from '../core/paths.js';
import { NpyRowReader, npyHeader } from './npy.js';

/** A code file's format: '.npy' (uint8, one row per code) or raw rows. */
export type CodesFormat = 'npy' | 'raw';

export function rowBytes(bits: number): number {
  return Math.ceil(bits / 8);
}

function checkBits(bits: unknown): number {
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 1 || bits > 65535) {
    fail('ERR_ASCMH_BITS', `bits must be an integer from 1 to 65535, got ${typeof bits === 'string' ? `'${bits}'` : String(bits)}`);
  }
  return bits;
}

export function codesFormatOf(path: string): CodesFormat {
  return typeof path === 'string' && path.toLowerCase().endsWith('.npy') ? 'npy' : 'raw';
}

/** Packed codes as rows of ceil(bits/8) bytes (the padding to 64-bit words dropped). */
export function codesToRows(codes: Codes): Uint8Array {
  const row = rowBytes(codes.bits);
  const stride = bytesPerCode(codes.bits);
  const out = new Uint8Array(codes.count * row);
  for (let i = 0; i < codes.count; i++) out.set(codes.data.subarray(i * stride, i * stride + row), i * row);
  clearPaddingBits(out, codes.count, codes.bits);
  return out;
}

/** Rows of ceil(bits/8) bytes as packed codes (8-byte aligned, padded to 64-bit words). */
export function rowsToCodes(rows: Uint8Array, count: number, bits: number): Codes {
  const row = rowBytes(bits);
  const stride = bytesPerCode(bits);
  const data = new Uint8Array(count * stride);
  for (let i = 0; i < count; i++) data.set(rows.subarray(i * row, (i + 1) * row), i * stride);
  clearPaddingBits(data, count, bits, stride);
  return { count, bits, data };
}

/** Bits past `bits` in the last byte of each row must be zero so distances do not see them. */
function clearPaddingBits(data: Uint8Array, count: number, bits: number, stride = rowBytes(bits)): void {
  if (bits % 8 === 0) return;
  const mask = (1 << bits % 8) - 1;
  const last = rowBytes(bits) - 1;
  for (let i = 0; i < count; i++) data[i * stride + last] &= mask;
}

/** Streams codes to a file, batch by batch; the file appears only once `commit` succeeds. */
export class CodesFileWriter {
  private written = 0;
  private constructor(
    private readonly out: AtomicFile,
    readonly count: number,
    readonly bits: number,
  ) {}

  /** Opens a temporary file beside `path` for `count` codes of `bits` bits (format from the extension). */
  static async create(path: string, count: number, bits: number, format = codesFormatOf(path)): Promise<CodesFileWriter> {
    checkPath(path);
    checkBits(bits);
    if (!Number.isSafeInteger(count) || count < 0) fail('ERR_ASCMH_CODES', `count must be a non-negative integer, got ${String(count)}`);
    const out = await AtomicFile.create(path);
    const writer = new CodesFileWriter(out, count, bits);
    if (format === 'npy') await out.write(npyHeader('uint8', [count, rowBytes(bits)]));
    return writer;
  }

  /** Appends codes; more than announced is refused. */
  async write(codes: Codes): Promise<void> {
    codes = validateCodes(codes, 'codes');
    if (codes.bits !== this.bits) fail('ERR_ASCMH_BITS_MISMATCH', `${this.out.path}: ${codes.bits}-bit codes written to a ${this.bits}-bit file`);
    if (this.written + codes.count > this.count) fail('ERR_ASCMH_CODES_LENGTH', `${this.out.path}: more than the ${this.count} codes announced`);
    await this.out.write(codesToRows(codes));
    this.written += codes.count;
  }

  /** Renames the complete file over `path`; fewer codes than announced is refused and removes it. */
  async commit(): Promise<void> {
    if (this.written !== this.count) {
      await this.out.abort();
      fail('ERR_ASCMH_CODES_LENGTH', `${this.out.path}: ${this.written} codes written, ${this.count} announced`);
    }
    await this.out.commit();
  }

  /** Removes the temporary file; `path` keeps what it held. */
  abort(): Promise<void> {
    return this.out.abort();
  }
}

/** Writes codes in the format the extension names (.npy, anything else raw). */
export async function writeCodesFile(path: string, codes: Codes, format = codesFormatOf(path)): Promise<void> {
  codes = validateCodes(codes, 'codes');  // before the file exists: too few bytes must not become zeros
  const writer = await CodesFileWriter.create(path, codes.count, codes.bits, format);
  try {
    await writer.write(codes);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** Reads a code file written by writeCodesFile (or by numpy / FAISS tools in the same layout). */
export async function readCodesFile(path: string, bits: number, format = codesFormatOf(path)): Promise<Codes> {
  checkPath(path);
  const row = rowBytes(checkBits(bits));
  if (format === 'npy') {
    const reader = await NpyRowReader.open(path);
    try {
      if (reader.dtype !== 'uint8') fail('ERR_ASCMH_CODES_FILE', `${path}: codes must be a uint8 array, found ${reader.dtype}`);
      if (reader.cols !== row) {
        fail('ERR_ASCMH_BITS_MISMATCH', `${path}: rows of ${reader.cols} bytes (${reader.cols * 8}-bit codes); ${bits}-bit codes need ${row} bytes per row`);
      }
      return rowsToCodes((await reader.read(0, reader.rows)) as Uint8Array, reader.rows, bits);
    } finally {
      await reader.close();
    }
  }
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    fail('ERR_ASCMH_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (size % row !== 0) fail('ERR_ASCMH_CODES_FILE', `${path}: ${size} bytes is not a whole number of ${bits}-bit codes (${row} bytes each)`);
  const rows = new Uint8Array(size);
  const file = await open(path, 'r');
  try {
    for (let done = 0; done < size; ) {
      const { bytesRead } = await file.read(rows, done, size - done, done);
      if (bytesRead === 0) fail('ERR_ASCMH_FILE', `${path}: file shrank while reading`);
      done += bytesRead;
    }
  } finally {
    await file.close();
  }
  return rowsToCodes(rows, size / row, bits);
}
