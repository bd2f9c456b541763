// One-file model format:
//   "ASCMHMDL" | u32 format version | u32 header bytes | JSON header | 8-byte-aligned arrays | SHA-256 of all before
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { AscmhError, fail } from '../core/errors.js';
import type { HashFunctionParameters, ModelState } from '../train/model.js';

const MAGIC = Buffer.from('ASCMHMDL', 'latin1');
export const MODEL_FORMAT_VERSION = 1;
const DIGEST = 32;

type ArrayKind = 'float64' | 'float32' | 'uint8';
type Section = { name: string; kind: ArrayKind; offset: number; length: number };

const CTOR = { float64: Float64Array, float32: Float32Array, uint8: Uint8Array } as const;

function kindOf(a: Float64Array | Float32Array | Uint8Array): ArrayKind {
  return a instanceof Float64Array ? 'float64' : a instanceof Float32Array ? 'float32' : 'uint8';
}

export async function writeModelFile(path: string, state: ModelState): Promise<void> {
  const arrays: [string, Float64Array | Float32Array | Uint8Array][] = [];
  const hashMeta: Record<string, Omit<HashFunctionParameters, 'anchors' | 'mean' | 'W'>> = {};
  for (const m of ['image', 'text'] as const) {
    const h = state[m];
    hashMeta[m] = { count: h.count, dim: h.dim, sigma: h.sigma };
    arrays.push([`${m}.anchors`, h.anchors], [`${m}.mean`, h.mean], [`${m}.W`, h.W]);
  }
  arrays.push(['trainingCodes', state.trainingCodes.data]);
  const sections: Section[] = [];
  let offset = 0;
  for (const [name, a] of arrays) {
    sections.push({ name, kind: kindOf(a), offset, length: a.length });
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  const header = Buffer.from(
    JSON.stringify({
      method: 'ascmh',
      options: state.options,
      hash: hashMeta,
      trainingCodes: { count: state.trainingCodes.count, bits: state.trainingCodes.bits },
      history: state.history,
      converged: state.converged,
      seconds: state.seconds,
      sections,
    }),
  );
  const headerPadded = Math.ceil(header.length / 8) * 8;
  const prefix = 16 + headerPadded;
  const body = Buffer.alloc(prefix + offset);
  MAGIC.copy(body, 0);
  body.writeUInt32LE(MODEL_FORMAT_VERSION, 8);
  body.writeUInt32LE(header.length, 12);
  header.copy(body, 16);
  sections.forEach((s, i) => {
    const a = arrays[i][1];
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(body, prefix + s.offset);
  });
  const digest = createHash('sha256').update(body).digest();
  await writeFileAtomic(path, body, digest);
}

function corrupt(path: string, why: string): never {
  fail('ERR_ASCMH_MODEL_CORRUPT', `${path} is not a valid ascmh model file: ${why}`);
}

export async function readModelFile(path: string): Promise<ModelState> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AscmhError('ERR_ASCMH_MODEL_READ', `cannot read model file ${path}: ${e.code ?? e.message}`);
  }
  try {
    return parseModel(file, path);
  } catch (err) {
    // A header that passed the checksum but has the wrong structure (a forged or buggy writer).
    if (err instanceof AscmhError) throw err;
    corrupt(path, `unexpected structure (${(err as Error).message})`);
  }
}

function parseModel(file: Buffer, path: string): ModelState {
  if (file.length < 16 + DIGEST || !file.subarray(0, 8).equals(MAGIC)) {
    fail('ERR_ASCMH_MODEL_FORMAT', `${path} is not an ascmh model file (no ASCMHMDL signature)`);
  }
  const version = file.readUInt32LE(8);
  if (version !== MODEL_FORMAT_VERSION) {
    fail('ERR_ASCMH_MODEL_VERSION', `${path} has model format version ${version}; this ascmh reads version ${MODEL_FORMAT_VERSION}`);
  }
  const body = file.subarray(0, file.length - DIGEST);
  if (!createHash('sha256').update(body).digest().equals(file.subarray(file.length - DIGEST))) {
    corrupt(path, 'checksum mismatch (truncated or modified)');
  }
  const headerLength = file.readUInt32LE(12);
  if (16 + headerLength > body.length) corrupt(path, 'header runs past the end');
  let header;
  try {
    header = JSON.parse(body.subarray(16, 16 + headerLength).toString('utf8'));
  } catch {
    corrupt(path, 'header is not JSON');
  }
  if (!header || !Array.isArray(header.sections) || !header.options || !Number.isInteger(header.options.bits) || !header.trainingCodes) {
    corrupt(path, 'header lacks sections, options or training codes');
  }
  const prefix = 16 + Math.ceil(headerLength / 8) * 8;
  const arrays = new Map<string, Float64Array | Float32Array | Uint8Array>();
  for (const s of header.sections as Section[]) {
    const Ctor = CTOR[s.kind];
    if (!Ctor || !Number.isInteger(s.offset) || !Number.isInteger(s.length) || s.offset < 0 || s.length < 0) corrupt(path, `bad section ${s.name}`);
    const start = prefix + s.offset;
    const bytes = s.length * Ctor.BYTES_PER_ELEMENT;
    if (start + bytes > body.length) corrupt(path, `section ${s.name} runs past the end`);
    // Copy into a fresh, aligned buffer: the file buffer may not be 8-byte aligned.
    const out = new Ctor(s.length);
    new Uint8Array(out.buffer).set(body.subarray(start, start + bytes));
    arrays.set(s.name, out);
  }
  const need = (name: string) => arrays.get(name) ?? corrupt(path, `missing section ${name}`);
  const hashOf = (m: 'image' | 'text'): HashFunctionParameters => {
    const meta = header.hash?.[m] ?? corrupt(path, `missing ${m} hash function`);
    const h = { ...meta, anchors: need(`${m}.anchors`), mean: need(`${m}.mean`), W: need(`${m}.W`) } as HashFunctionParameters;
    const bits = header.options.bits;
    if (h.anchors.length !== h.count * h.dim || h.mean.length !== h.count || h.W.length !== h.count * bits) {
      corrupt(path, `${m} hash function sizes are inconsistent`);
    }
    return h;
  };
  const codes = need('trainingCodes') as Uint8Array;
  const { count, bits } = header.trainingCodes;
  if (codes.length !== count * Math.ceil(bits / 64) * 8) corrupt(path, 'training codes have the wrong size');
  return {
    options: header.options,
    image: hashOf('image'),
    text: hashOf('text'),
    trainingCodes: { count, bits, data: codes },
    history: header.history ?? [],
    converged: Boolean(header.converged),
    seconds: header.seconds,
  };
}
