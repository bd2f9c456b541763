// What travels over the wire: ids as JSON numbers or strings, codes as base64 or raw rows (the
// code file layout: ceil(bits/8) bytes per code, least significant bit first), and the binary
// search result layout.
import { fail } from '../core/errors.js';
import { type Codes, type Matrix, bytesPerCode } from '../core/matrix.js';
import { codesToRows, rowBytes, rowsToCodes } from '../io/codes-file.js';
import { HttpProblem } from './errors.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** An id for JSON: a number when it is exact as one (|id| <= 2^53 - 1), else a decimal string. */
export function idValue(id: bigint): number | string {
  return id >= MIN_SAFE && id <= MAX_SAFE ? Number(id) : id.toString();
}

/** The same, as JSON text. */
export function idJson(id: bigint): string {
  return id >= MIN_SAFE && id <= MAX_SAFE ? id.toString() : `"${id}"`;
}

/** Ids from a request: safe-integer numbers or decimal strings within int64. */
export function parseIds(ids: ReadonlyArray<number | string>, what = 'ids'): BigInt64Array {
  const out = new BigInt64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    let id: bigint;
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) fail('ERR_ASCMH_ID_RANGE', `${what}[${i}] = ${v} is not a safe integer; send ids beyond 2^53 as decimal strings`);
      id = BigInt(v);
    } else {
      if (!/^-?[0-9]{1,20}$/.test(v)) fail('ERR_ASCMH_IDS_TYPE', `${what}[${i}] must be an integer or a decimal string, got '${v.slice(0, 40)}'`);
      id = BigInt(v);
    }
    if (id < INT64_MIN || id > INT64_MAX) fail('ERR_ASCMH_ID_RANGE', `${what}[${i}] = ${v} does not fit in a signed 64-bit integer`);
    out[i] = id;
  }
  return out;
}

/** Raw code rows (count * ceil(bits/8) bytes) as packed codes; a length that is not whole codes is ERR_ASCMH_CODES_LENGTH. */
export function codesFromRows(rows: Uint8Array, bits: number, what = 'codes'): Codes {
  const row = rowBytes(bits);
  if (rows.length === 0) fail('ERR_ASCMH_CODES_LENGTH', `${what} is empty; send at least one code of ${row} bytes`);
  if (rows.length % row !== 0) {
    fail('ERR_ASCMH_CODES_LENGTH', `${what} holds ${rows.length} bytes, not a whole number of ${bits}-bit codes (${row} bytes each)`);
  }
  return rowsToCodes(rows, rows.length / row, bits);
}

/** Base64 (standard or URL-safe, padding optional) of raw code rows as packed codes. */
export function codesFromBase64(text: string, bits: number, what = 'codes'): Codes {
  const unpadded = text.endsWith('==') ? text.length - 2 : text.endsWith('=') ? text.length - 1 : text.length;
  if (unpadded % 4 === 1 || (unpadded !== text.length && text.length % 4 !== 0)) {
    throw new HttpProblem('ERR_SERVER_BAD_BASE64', `${what} is not valid base64 (its length ${text.length} is impossible)`);
  }
  const rows = Buffer.from(text, 'base64');
  return codesFromRows(rows, bits, `${what} (decoded)`);
}

export function codesToBase64(codes: Codes): string {
  const rows = codesToRows(codes);
  return Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).toString('base64');
}

/** Several packed code sets of one length as one. */
export function concatCodes(parts: Codes[]): Codes {
  const bits = parts[0].bits;
  const stride = bytesPerCode(bits);
  let count = 0;
  for (const p of parts) count += p.count;
  const data = new Uint8Array(count * stride);
  let at = 0;
  for (const p of parts) {
    data.set(p.data.subarray(0, p.count * stride), at);
    at += p.count * stride;
  }
  return { count, bits, data };
}

/** Rows of numbers as a matrix; rows of different lengths are ERR_ASCMH_SHAPE. */
export function featureMatrix(rows: ReadonlyArray<ReadonlyArray<number>>, what: string): Matrix {
  const count = rows.length;
  const cols = count ? rows[0].length : 0;
  const data = new Float64Array(count * cols);
  for (let r = 0; r < count; r++) {
    const row = rows[r];
    if (row.length !== cols) fail('ERR_ASCMH_SHAPE', `${what}: row ${r} has ${row.length} values, row 0 has ${cols}`);
    const base = r * cols;
    for (let c = 0; c < cols; c++) data[base + c] = row[c];
  }
  return { rows: count, cols, data };
}

/**
 * Search results of one request: query q's entries are ids/distances [from[q], to[q]). The
 * arrays may be those of a whole micro-batch (each request reads its own ranges).
 */
export interface ResultSlice {
  count: number;
  from: Uint32Array;
  to: Uint32Array;
  ids: BigInt64Array;
  distances: Uint16Array;
}

/** `{...head,"results":[{"ids":[...],"distances":[...]},...]}`, written by hand (fast, exact ids). */
export function resultJson(head: Record<string, number>, r: ResultSlice): string {
  let out = '{';
  for (const [key, value] of Object.entries(head)) out += `"${key}":${value},`;
  out += '"results":[';
  for (let q = 0; q < r.count; q++) {
    const from = r.from[q], to = r.to[q];
    let ids = '', distances = '';
    for (let i = from; i < to; i++) {
      const sep = i === from ? '' : ',';
      ids += sep + idJson(r.ids[i]);
      distances += sep + r.distances[i];
    }
    out += `${q ? ',' : ''}{"ids":[${ids}],"distances":[${distances}]}`;
  }
  return out + ']}';
}

/** The first four bytes of a binary search answer. */
export const BINARY_RESULT_MAGIC = 'ASR1';

/**
 * The binary result layout (little-endian; every array at an offset aligned to its element):
 *   bytes 0-3    'ASR1'
 *   bytes 4-7    uint32 queries Q
 *   bytes 8-11   uint32 total entries N
 *   bytes 12-15  uint32 reserved (0)
 *   16           int64 ids[N]
 *   16 + 8N      uint32 offsets[Q + 1]   (query q's entries are [offsets[q], offsets[q + 1]))
 *   then         uint16 distances[N]
 */
export function resultBinary(r: ResultSlice): Buffer {
  let total = 0;
  for (let q = 0; q < r.count; q++) total += r.to[q] - r.from[q];
  const idsAt = 16, offsetsAt = idsAt + 8 * total, distancesAt = offsetsAt + 4 * (r.count + 1);
  const buf = Buffer.alloc(distancesAt + 2 * total);
  buf.write(BINARY_RESULT_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(r.count, 4);
  buf.writeUInt32LE(total, 8);
  const ids = new BigInt64Array(buf.buffer, buf.byteOffset + idsAt, total);
  const offsets = new Uint32Array(buf.buffer, buf.byteOffset + offsetsAt, r.count + 1);
  const distances = new Uint16Array(buf.buffer, buf.byteOffset + distancesAt, total);
  let at = 0;
  for (let q = 0; q < r.count; q++) {
    offsets[q] = at;
    ids.set(r.ids.subarray(r.from[q], r.to[q]), at);
    distances.set(r.distances.subarray(r.from[q], r.to[q]), at);
    at += r.to[q] - r.from[q];
  }
  offsets[r.count] = at;
  return buf;
}

/** Reads the binary layout back (clients in JS, and the tests). */
export function parseResultBinary(buf: Uint8Array): { count: number; offsets: Uint32Array; ids: BigInt64Array; distances: Uint16Array } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 16 || Buffer.from(buf.subarray(0, 4)).toString('latin1') !== BINARY_RESULT_MAGIC) fail('ERR_ASCMH_CODES', 'not an ASR1 search result');
  const count = view.getUint32(4, true), total = view.getUint32(8, true);
  const copy = new Uint8Array(buf); // aligned copy
  const idsAt = 16, offsetsAt = idsAt + 8 * total, distancesAt = offsetsAt + 4 * (count + 1);
  if (copy.byteLength !== distancesAt + 2 * total) fail('ERR_ASCMH_CODES', 'truncated ASR1 search result');
  return {
    count,
    ids: new BigInt64Array(copy.buffer, idsAt, total),
    offsets: new Uint32Array(copy.buffer, offsetsAt, count + 1),
    distances: new Uint16Array(copy.buffer, distancesAt, total),
  };
}
