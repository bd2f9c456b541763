// One-file model format:
//   "ASCMHMDL" | u32 format version | u32 header bytes | JSON header | 8-byte-aligned arrays | SHA-256 of all before
// Version 2 (issue 13) tags the model with its method and encoder kind and each hash function with
// its sigma rule and sign threshold, and may hold two more sections per modality (inputMean,
// rotation). Version 1 files (ASCMH only, written before) still load: they are ASCMH models with
// the 'kernel-ridge' encoder, the 'mean-distance' rule and the '>= 0' threshold. The 'mlp' encoder
// (DDASH) stores a network per modality instead of a kernel hash function: its sizes (dim, hidden)
// and the sections inputMean, inputScale, W1, b1, W2, b2.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { AscmhError, fail } from '../core/errors.js';
import { checkPath } from '../core/paths.js';
import type { Codes } from '../core/matrix.js';
import type { EncoderKind, HashFunctionParameters, Method, MlpHashParameters } from '../train/model.js';

const MAGIC = Buffer.from('ASCMHMDL', 'latin1');
export const MODEL_FORMAT_VERSION = 2;
/** Versions this reader accepts. */
export const MODEL_FORMAT_VERSIONS = [1, 2] as const;

/** What a model file holds, for every method. */
export interface StoredModel<O = Record<string, unknown>> {
  /** Absent when writing: 'ascmh'. */
  method?: Method;
  /** Absent when writing: the method's own. */
  encoder?: EncoderKind;
  options: O;
  /** MlpHashParameters for the 'mlp' encoder, else HashFunctionParameters. */
  image: HashFunctionParameters | MlpHashParameters;
  text: HashFunctionParameters | MlpHashParameters;
  trainingCodes: Codes;
  history: unknown[];
  converged?: boolean;
  seconds: { features: number; iterations: number; hashFunctions: number; total: number };
}

/** The encoder kind each method uses. */
export const ENCODER_OF: Record<Method, EncoderKind> = { ascmh: 'kernel-ridge', batch: 'kernel-ridge', scratch: 'kernel-projection-rotation', ddash: 'mlp' };
const MLP_PARTS = ['inputMean', 'inputScale', 'W1', 'b1', 'W2', 'b2'] as const;
const DIGEST = 32;

type ArrayKind = 'float64' | 'float32' | 'uint8';
type Section = { name: string; kind: ArrayKind; offset: number; length: number };

const CTOR = { float64: Float64Array, float32: Float32Array, uint8: Uint8Array } as const;

function kindOf(a: Float64Array | Float32Array | Uint8Array): ArrayKind {
  return a instanceof Float64Array ? 'float64' : a instanceof Float32Array ? 'float32' : 'uint8';
}

export async function writeModelFile(path: string, state: StoredModel<object>): Promise<void> {
  checkPath(path, 'model path');
  const method = state.method ?? 'ascmh';
  const encoder = state.encoder ?? ENCODER_OF[method];
  const arrays: [string, Float64Array | Float32Array | Uint8Array][] = [];
  const hashMeta: Record<string, object> = {};
  for (const m of ['image', 'text'] as const) {
    if (encoder === 'mlp') {
      const net = state[m] as MlpHashParameters;
      hashMeta[m] = { dim: net.dim, hidden: net.hidden };
      for (const part of MLP_PARTS) arrays.push([`${m}.${part}`, net[part]]);
      continue;
    }
    const h = state[m] as HashFunctionParameters;
    hashMeta[m] = {
      count: h.count,
      dim: h.dim,
      sigma: h.sigma,
      sigmaRule: h.sigmaRule ?? 'mean-distance',
      threshold: h.threshold ?? 'nonnegative',
      inputMean: h.inputMean !== undefined,
      rotation: h.rotation !== undefined,
    };
    arrays.push([`${m}.anchors`, h.anchors], [`${m}.mean`, h.mean], [`${m}.W`, h.W]);
    if (h.inputMean) arrays.push([`${m}.inputMean`, h.inputMean]);
    if (h.rotation) arrays.push([`${m}.rotation`, h.rotation]);
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
      method,
      encoder,
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

export async function readModelFile(path: string): Promise<Required<Pick<StoredModel, 'method' | 'encoder'>> & StoredModel> {
  checkPath(path, 'model path');
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

function parseModel(file: Buffer, path: string): Required<Pick<StoredModel, 'method' | 'encoder'>> & StoredModel {
  if (file.length < 16 + DIGEST || !file.subarray(0, 8).equals(MAGIC)) {
    fail('ERR_ASCMH_MODEL_FORMAT', `${path} is not an ascmh model file (no ASCMHMDL signature)`);
  }
  const version = file.readUInt32LE(8);
  if (!(MODEL_FORMAT_VERSIONS as readonly number[]).includes(version)) {
    fail('ERR_ASCMH_MODEL_VERSION', `${path} has model format version ${version}; this ascmh reads versions ${MODEL_FORMAT_VERSIONS.join(' and ')}`);
  }
  const body = file.subarray(0, file.length - DIGEST);
  if (!createHash('sha256').update(body).digest().equals(file.subarray(file.length - DIGEST))) {
    corrupt(path, 'checksum mismatch (truncated or modified)');
  }
  // The checksum detects accidents; anyone can recompute it. Everything below is checked as if
  // the file were hostile: every size, type and value the encoder will use as an index or a count.
  const headerLength = file.readUInt32LE(12);
  if (16 + headerLength > body.length) corrupt(path, 'header runs past the end');
  let header;
  try {
    header = JSON.parse(body.subarray(16, 16 + headerLength).toString('utf8'));
  } catch {
    corrupt(path, 'header is not JSON');
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.sections) || header.options === null || typeof header.options !== 'object' || header.trainingCodes === null || typeof header.trainingCodes !== 'object') {
    corrupt(path, 'header lacks sections, options or training codes');
  }
  // Version 1 knew one method and one encoder; version 2 names them.
  const method: Method = version === 1 ? 'ascmh' : header.method;
  if (!Object.hasOwn(ENCODER_OF, method as string)) corrupt(path, `unknown method ${String(header.method)}`);
  if (version === 1 && header.method !== undefined && header.method !== 'ascmh') corrupt(path, `a version 1 file of method ${String(header.method)}`);
  const encoder: EncoderKind = version === 1 ? 'kernel-ridge' : header.encoder;
  if (encoder !== ENCODER_OF[method]) corrupt(path, `encoder ${String(header.encoder)} is not the ${method} encoder (${ENCODER_OF[method]})`);
  const bits = header.options.bits;
  if (!isCount(bits, 1, 1024)) corrupt(path, `bits ${String(bits)} is not an integer from 1 to 1024`);
  const precision = header.options.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') corrupt(path, `unknown precision ${String(precision)}`);
  const floatKind: ArrayKind = precision;
  const prefix = 16 + Math.ceil(headerLength / 8) * 8;
  const sections = new Map<string, Section>();
  for (const s of header.sections as Section[]) {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string') corrupt(path, 'a section without a name');
    if (!Object.hasOwn(CTOR, s.kind) || !isCount(s.offset, 0, body.length) || !isCount(s.length, 0, body.length)) corrupt(path, `bad section ${s.name}`);
    if (sections.has(s.name)) corrupt(path, `section ${s.name} appears twice`);
    if (prefix + s.offset + s.length * CTOR[s.kind].BYTES_PER_ELEMENT > body.length) corrupt(path, `section ${s.name} runs past the end`);
    sections.set(s.name, s);
  }
  // A section of the kind and length the header implies, copied into an aligned array.
  const need = (name: string, kind: ArrayKind, length: number) => {
    const s = sections.get(name) ?? corrupt(path, `missing section ${name}`);
    if (s.kind !== kind) corrupt(path, `section ${name} is ${s.kind}, expected ${kind}`);
    if (s.length !== length) corrupt(path, `section ${name} has ${s.length} values, expected ${length}`);
    const Ctor = CTOR[kind];
    const out = new Ctor(length);
    const start = prefix + s.offset;
    new Uint8Array(out.buffer).set(body.subarray(start, start + length * Ctor.BYTES_PER_ELEMENT));
    return out;
  };
  const finite = (a: Float64Array | Float32Array, name: string) => {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) corrupt(path, `section ${name} holds a non-finite value`);
    return a;
  };
  const hashOf = (m: 'image' | 'text'): HashFunctionParameters => {
    const meta = header.hash?.[m];
    if (meta === null || typeof meta !== 'object') corrupt(path, `missing ${m} hash function`);
    const { count, dim, sigma } = meta;
    if (!isCount(count, 1, 2 ** 24) || !isCount(dim, 1, 2 ** 24)) corrupt(path, `${m} hash function has ${String(count)} anchors of dimension ${String(dim)}`);
    if (count * (dim + bits + 1) + dim + bits * bits > 2 ** 31) corrupt(path, `${m} hash function is larger than the file`);
    if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma) || (precision === 'float32' && !(Math.fround(sigma) > 0 && Number.isFinite(Math.fround(sigma))))) {
      corrupt(path, `${m} kernel width ${String(sigma)} is not a positive number`);
    }
    const sigmaRule = version === 1 ? 'mean-distance' : meta.sigmaRule;
    if (sigmaRule !== 'mean-distance' && sigmaRule !== 'mean-squared-distance') corrupt(path, `${m} has an unknown sigma rule ${String(meta.sigmaRule)}`);
    const threshold = version === 1 ? 'nonnegative' : meta.threshold;
    if (threshold !== 'nonnegative' && threshold !== 'positive') corrupt(path, `${m} has an unknown sign threshold ${String(meta.threshold)}`);
    const hasInputMean = version === 2 && meta.inputMean === true;
    const hasRotation = version === 2 && meta.rotation === true;
    if (version === 2 && (typeof meta.inputMean !== 'boolean' || typeof meta.rotation !== 'boolean')) corrupt(path, `${m} hash function does not say which sections it has`);
    if (hasRotation !== (encoder === 'kernel-projection-rotation')) corrupt(path, `${m} ${hasRotation ? 'has' : 'lacks'} a rotation, which the ${encoder} encoder ${hasRotation ? 'does not use' : 'needs'}`);
    const h: HashFunctionParameters = {
      count,
      dim,
      sigma,
      anchors: finite(need(`${m}.anchors`, floatKind, count * dim) as Float64Array | Float32Array, `${m}.anchors`),
      mean: finite(need(`${m}.mean`, floatKind, count) as Float64Array | Float32Array, `${m}.mean`),
      W: finite(need(`${m}.W`, floatKind, count * bits) as Float64Array | Float32Array, `${m}.W`),
    };
    if (version === 2) {
      h.sigmaRule = sigmaRule;
      h.threshold = threshold;
    }
    if (hasInputMean) h.inputMean = finite(need(`${m}.inputMean`, floatKind, dim) as Float64Array | Float32Array, `${m}.inputMean`);
    if (hasRotation) h.rotation = finite(need(`${m}.rotation`, floatKind, bits * bits) as Float64Array | Float32Array, `${m}.rotation`);
    return h;
  };
  const { count } = header.trainingCodes;
  if (header.trainingCodes.bits !== bits) corrupt(path, `training codes have ${String(header.trainingCodes.bits)} bits, the model ${bits}`);
  if (!isCount(count, 0, body.length)) corrupt(path, `training code count ${String(count)} is not valid`);
  const codes = need('trainingCodes', 'uint8', count * Math.ceil(bits / 64) * 8) as Uint8Array;
  if (bits % 64) {
    // Bits above the code length must be zero: every distance kernel relies on it.
    const stride = Math.ceil(bits / 64) * 8, used = bits % 64;
    for (let i = 0; i < count; i++) {
      for (let b = used; b < 64; b++) {
        const byte = i * stride + stride - 8 + (b >> 3);
        if (codes[byte] & (1 << (b & 7))) corrupt(path, `training code ${i} has bits set beyond its ${bits} bits`);
      }
    }
  }
  const mlpOf = (m: 'image' | 'text'): MlpHashParameters => {
    const meta = header.hash?.[m];
    if (meta === null || typeof meta !== 'object') corrupt(path, `missing ${m} hash network`);
    const { dim, hidden } = meta;
    if (!isCount(dim, 1, 2 ** 24) || !isCount(hidden, 1, 2 ** 16)) corrupt(path, `${m} hash network has ${String(hidden)} hidden units over ${String(dim)} inputs`);
    if (dim * hidden + hidden * bits > 2 ** 31) corrupt(path, `${m} hash network is larger than the file`);
    const part = (name: (typeof MLP_PARTS)[number], length: number) => finite(need(`${m}.${name}`, floatKind, length) as Float64Array | Float32Array, `${m}.${name}`);
    return { dim, hidden, inputMean: part('inputMean', dim), inputScale: part('inputScale', dim), W1: part('W1', dim * hidden), b1: part('b1', hidden), W2: part('W2', hidden * bits), b2: part('b2', bits) };
  };
  const image = encoder === 'mlp' ? mlpOf('image') : hashOf('image');
  const text = encoder === 'mlp' ? mlpOf('text') : hashOf('text');
  // Every section must be one the header accounts for.
  const expected = new Set(['trainingCodes']);
  for (const [m, h] of [['image', image], ['text', text]] as const) {
    if (encoder === 'mlp') {
      for (const part of MLP_PARTS) expected.add(`${m}.${part}`);
      continue;
    }
    const k = h as HashFunctionParameters;
    for (const part of ['anchors', 'mean', 'W']) expected.add(`${m}.${part}`);
    if (k.inputMean) expected.add(`${m}.inputMean`);
    if (k.rotation) expected.add(`${m}.rotation`);
  }
  for (const name of sections.keys()) if (!expected.has(name)) corrupt(path, `unexpected section ${name}`);
  return {
    method,
    encoder,
    options: header.options,
    image,
    text,
    trainingCodes: { count, bits, data: codes },
    history: Array.isArray(header.history) ? header.history : [],
    converged: Boolean(header.converged),
    seconds: header.seconds,
  };
}

function isCount(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}
