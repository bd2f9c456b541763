// NumPy .npy reader (format versions 1.0-3.0; float32, float64, uint8, bool; C or Fortran order).
import { readFile } from 'node:fs/promises';
import { fail } from './errors.js';

export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array }
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array };

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

function bad(path: string, why: string): never {
  fail('ERR_ASCMH_NPY', `${path}: ${why}`);
}

export function parseNpy(buf: Buffer, path = '<buffer>'): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) bad(path, 'not a .npy file (no \\x93NUMPY signature)');
  const major = buf[6];
  let headerLength: number, offset: number;
  if (major === 1) {
    headerLength = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) bad(path, 'truncated header');
    headerLength = buf.readUInt32LE(8);
    offset = 12;
  } else {
    bad(path, `unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (offset + headerLength > buf.length) bad(path, 'truncated header');
  const header = buf.subarray(offset, offset + headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) bad(path, 'malformed header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) bad(path, `bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const kinds: Record<string, ['float32' | 'float64' | 'uint8', number]> = {
    '<f4': ['float32', 4], '<f8': ['float64', 8], '|u1': ['uint8', 1], '<u1': ['uint8', 1], '|b1': ['uint8', 1], '|i1': ['uint8', 1],
  };
  const kind = kinds[descr];
  if (!kind) bad(path, `unsupported dtype '${descr}' (supported: float32, float64, uint8, bool, little-endian)`);
  if (descr === '|i1') bad(path, "unsupported dtype 'int8'");
  const [dtype, size] = kind;
  const start = offset + headerLength;
  if (buf.length - start < count * size) bad(path, `truncated body: ${buf.length - start} bytes for ${count} values of ${size} bytes`);
  const bytes = new Uint8Array(count * size);
  bytes.set(buf.subarray(start, start + count * size));
  let data: Float32Array | Float64Array | Uint8Array =
    dtype === 'float32' ? new Float32Array(bytes.buffer) : dtype === 'float64' ? new Float64Array(bytes.buffer) : bytes;
  if (fortran === 'True' && shape.length === 2) data = transpose(data, shape[1], shape[0]);
  return { dtype, shape, data } as NpyArray;
}

function transpose<A extends Float32Array | Float64Array | Uint8Array>(a: A, rows: number, cols: number): A {
  const out = new (a.constructor as new (n: number) => A)(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

export async function readNpy(path: string): Promise<NpyArray> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    fail('ERR_ASCMH_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNpy(buf, path);
}

/** Serialises a 1-D or 2-D array as .npy version 1.0 (C order). */
export function encodeNpy(data: Float32Array | Float64Array | Uint8Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : '|u1';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
