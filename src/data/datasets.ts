/**
 * Datasets: synthetic sets, query splits, and dataset folders (`datasets` in the package).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fail } from '../core/errors.js';
import type { LabelMatrix, Matrix } from '../core/matrix.js';
import { pickRows, sliceRows } from '../core/matrix.js';
import type { TrainingData } from '../train/model.js';
import { checkPath } from '../core/paths.js';
import { readNpy } from '../io/npy.js';

/** Typed arrays above this many elements are refused before they are allocated. */
const MAX_ELEMENTS = 2 ** 31;

function checkSizes(what: string, sizes: Record<string, unknown>, dims: [number, number][]): void {
  for (const [k, v] of Object.entries(sizes)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail('ERR_ASCMH_OPTION', `${what}: ${k} must be a positive integer, got ${String(v)}`);
  }
  for (const [a, b] of dims) {
    if (a * b > MAX_ELEMENTS) fail('ERR_ASCMH_TOO_LARGE', `${what}: ${a} x ${b} values is more than the ${MAX_ELEMENTS} this generator makes`);
  }
}

export interface Dataset extends TrainingData {
  name: string;
  /** Row ranges [start, stop) or row lists of the protocol's parts. */
  split: { train: number[]; query: number[]; database: number[] };
}

/** Small seeded generator (splitmix32 + Box-Muller) so synthetic data is identical everywhere. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }
  /** A uniform draw in [0, 1). */
  uniform(): number {
    let z = (this.state = (this.state + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }
  /** A standard normal draw (Box-Muller). */
  gaussian(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
  /** A uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.uniform() * bound);
  }
}

/** Sizes and shape of the synthetic set of synthetic(). */
export interface SyntheticOptions {
  n?: number;
  classes?: number;
  imageDim?: number;
  textDim?: number;
  multiLabel?: boolean;
  seed?: number;
  /** Noise level; higher makes retrieval harder (default 1). */
  noise?: number;
}

/**
 * Paired image/text features driven by shared class semantics: each class has a latent prototype;
 * an item mixes the prototypes of its labels plus item-specific noise, and each modality sees that
 * latent point through its own random non-linear map with its own noise. Codes must separate
 * classes and also resolve fine structure, so mAP rises with code length.
 */
export function synthetic(options: SyntheticOptions = {}): TrainingData {
  if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'synthetic: options must be an object');
  const { n = 2000, classes = 10, imageDim = 128, textDim = 32, multiLabel = false, seed = 0, noise = 1 } = options;
  checkSizes('synthetic', { n, classes, imageDim, textDim }, [[n, imageDim], [n, textDim], [n, classes]]);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail('ERR_ASCMH_OPTION', 'synthetic: seed must be a finite number');
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) fail('ERR_ASCMH_OPTION', 'synthetic: noise must be a finite number >= 0');
  const rng = new SeededRandom(seed);
  const latentDim = 24;
  const prototypes = Array.from({ length: classes }, () => Float64Array.from({ length: latentDim }, () => rng.gaussian()));
  const mapImage = Float64Array.from({ length: latentDim * imageDim }, () => rng.gaussian() / Math.sqrt(latentDim));
  const mapText = Float64Array.from({ length: latentDim * textDim }, () => rng.gaussian() / Math.sqrt(latentDim));
  const image = new Float32Array(n * imageDim);
  const text = new Float32Array(n * textDim);
  const labels = new Uint8Array(n * classes);
  const z = new Float64Array(latentDim);
  for (let i = 0; i < n; i++) {
    const first = rng.int(classes);
    labels[i * classes + first] = 1;
    if (multiLabel) {
      for (let extra = 0; extra < 2; extra++) if (rng.uniform() < 0.4) labels[i * classes + rng.int(classes)] = 1;
    }
    z.fill(0);
    let count = 0;
    for (let c = 0; c < classes; c++) {
      if (!labels[i * classes + c]) continue;
      count++;
      for (let j = 0; j < latentDim; j++) z[j] += prototypes[c][j];
    }
    for (let j = 0; j < latentDim; j++) z[j] = z[j] / count + 0.9 * noise * rng.gaussian();
    project(z, mapImage, imageDim, image.subarray(i * imageDim, (i + 1) * imageDim), rng, 0.6 * noise, 'image');
    project(z, mapText, textDim, text.subarray(i * textDim, (i + 1) * textDim), rng, 0.4 * noise, 'text');
  }
  return {
    image: { rows: n, cols: imageDim, data: image },
    text: { rows: n, cols: textDim, data: text },
    labels: { rows: n, cols: classes, data: labels },
  };
}

function project(z: Float64Array, map: Float64Array, dim: number, out: Float32Array, rng: SeededRandom, noise: number, kind: 'image' | 'text') {
  const latentDim = z.length;
  let sum = 0;
  for (let d = 0; d < dim; d++) {
    let v = 0;
    for (let j = 0; j < latentDim; j++) v += z[j] * map[j * dim + d];
    v += noise * rng.gaussian();
    // Images: rectified responses (histogram-like); text: softmax-like topic weights.
    out[d] = kind === 'image' ? Math.max(0, v) : Math.exp(v);
    sum += out[d];
  }
  if (sum > 0) for (let d = 0; d < dim; d++) out[d] /= sum;
}

/** Splits a synthetic or in-memory set: the last `queries` rows are queries, the rest train and database. */
export function splitQueries(data: TrainingData, queries: number): { train: TrainingData; query: TrainingData } {
  if (data === null || typeof data !== 'object' || data.labels === null || typeof data.labels !== 'object') {
    fail('ERR_ASCMH_NOT_MATRIX', 'splitQueries needs { image, text, labels }');
  }
  const n = data.labels.rows;
  if (data.image?.rows !== n || data.text?.rows !== n) fail('ERR_ASCMH_SHAPE', 'image, text and labels must have the same rows');
  if (!Number.isInteger(queries) || queries < 1 || queries >= n) fail('ERR_ASCMH_OPTION', `queries must be from 1 to ${n - 1}`);
  const cut = n - queries;
  const part = (a: number, b: number): TrainingData => ({
    image: sliceRows(data.image, a, b),
    text: sliceRows(data.text, a, b),
    labels: sliceRows(data.labels, a, b),
  });
  return { train: part(0, cut), query: part(cut, n) };
}


/**
 * Reads a dataset folder: img.npy, txt.npy, labels.npy (row-aligned) and split.json with
 * { train, query, database } as { start, stop } ranges or index lists.
 */
export async function loadDataset(dir: string): Promise<Dataset> {
  checkPath(dir, 'dataset folder');
  // One at a time, so a missing file is reported in a fixed order.
  const img = await readNpy(join(dir, 'img.npy'));
  const txt = await readNpy(join(dir, 'txt.npy'));
  const lab = await readNpy(join(dir, 'labels.npy'));
  let split;
  try {
    split = JSON.parse(await readFile(join(dir, 'split.json'), 'utf8'));
  } catch (err) {
    fail('ERR_ASCMH_DATASET', `${join(dir, 'split.json')}: ${(err as Error).message}`);
  }
  const asFeatures = (a: typeof img, name: string): Matrix => {
    if (a.shape.length !== 2) fail('ERR_ASCMH_DATASET', `${name} must be 2-D, has shape (${a.shape})`);
    const data = a.dtype === 'uint8' ? Float32Array.from(a.data) : a.data;
    return { rows: a.shape[0], cols: a.shape[1], data };
  };
  const image = asFeatures(img, 'img.npy');
  const text = asFeatures(txt, 'txt.npy');
  if (lab.dtype !== 'uint8' || lab.shape.length !== 2) fail('ERR_ASCMH_DATASET', 'labels.npy must be a 2-D uint8 or bool array');
  const labels: LabelMatrix = { rows: lab.shape[0], cols: lab.shape[1], data: lab.data as Uint8Array };
  if (image.rows !== text.rows || image.rows !== labels.rows) {
    fail('ERR_ASCMH_DATASET', `row counts differ: img ${image.rows}, txt ${text.rows}, labels ${labels.rows}`);
  }
  if (split === null || typeof split !== 'object' || Array.isArray(split)) fail('ERR_ASCMH_DATASET', `${join(dir, 'split.json')} must hold an object { train, query, database }`);
  const part = (key: string): number[] => {
    const v = split[key];
    const where = `${join(dir, 'split.json')}: '${key}'`;
    let rows: number[];
    if (Array.isArray(v)) {
      rows = v;
      if (rows.some((r: unknown) => !Number.isInteger(r) || (r as number) < 0 || (r as number) >= image.rows)) fail('ERR_ASCMH_DATASET', `${where} has rows outside 0..${image.rows - 1}`);
    } else if (v !== null && typeof v === 'object' && Number.isInteger(v.start) && Number.isInteger(v.stop)) {
      // Checked before the range is built: a stop of 5e9 must not become a 5e9-element array.
      if (v.start < 0 || v.stop > image.rows || v.start > v.stop) fail('ERR_ASCMH_DATASET', `${where} is [${v.start}, ${v.stop}), not a range within 0..${image.rows}`);
      rows = Array.from({ length: v.stop - v.start }, (_, i) => v.start + i);
    } else {
      fail('ERR_ASCMH_DATASET', `${where} must be a { start, stop } range or a list of rows`);
    }
    if (rows.length === 0) fail('ERR_ASCMH_DATASET', `${where} is empty`);
    return rows;
  };
  return { name: basename(dir), image, text, labels, split: { train: part('train'), query: part('query'), database: part('database') } };
}

/**
 * A validation split inside a dataset's training part, for tuning without the test queries:
 * the training rows shuffled (Fisher-Yates, SeededRandom(seed)), the first `size` are the
 * validation queries, the rest the fit (and database). Defaults: the split the defaults were tuned on.
 */
export function validationSplit(ds: Dataset, options: { size?: number; seed?: number } = {}): { fitRows: number[]; validationRows: number[]; fit: TrainingData; validation: TrainingData } {
  if (ds === null || typeof ds !== 'object' || !Array.isArray(ds.split?.train)) fail('ERR_ASCMH_DATASET', 'validationSplit needs a dataset with split.train');
  const { size = 500, seed = 12345 } = options;
  const n = ds.split.train.length;
  if (!Number.isInteger(size) || size < 1 || size >= n) fail('ERR_ASCMH_OPTION', `validation size must be an integer from 1 to ${n - 1}, got ${String(size)}`);
  if (!Number.isInteger(seed)) fail('ERR_ASCMH_OPTION', `seed must be an integer, got ${String(seed)}`);
  const rows = [...ds.split.train];
  const rng = new SeededRandom(seed);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const validationRows = rows.slice(0, size), fitRows = rows.slice(size);
  return { fitRows, validationRows, fit: selectRows(ds, fitRows), validation: selectRows(ds, validationRows) };
}

/** The rows of a dataset part (each an integer row of the set). */
export function selectRows(data: TrainingData, rows: number[]): TrainingData {
  if (data === null || typeof data !== 'object') fail('ERR_ASCMH_NOT_MATRIX', 'selectRows needs { image, text, labels }');
  return { image: pickRows(data.image, rows), text: pickRows(data.text, rows), labels: pickRows(data.labels, rows) };
}

/** Sizes of the NUS-WIDE-shaped set of nusWideLike(). */
export interface NusWideLikeOptions {
  n?: number;
  /** 10 or 21 concepts, as in NUS-WIDE's two usual label sets. */
  concepts?: 10 | 21;
  imageDim?: number;
  textDim?: number;
  seed?: number;
}

/**
 * NUS-WIDE-shaped data: sparse, non-negative bag-of-words image features (500 visual words) and
 * binary tag vectors (1,000 tags) whose statistics depend on the labels; concepts with skewed
 * frequencies (about 30% down to 2%) and one to four labels per item. The real features are not
 * available here; this keeps their shape, sparsity and multi-label structure for scaling work.
 */
export function nusWideLike(options: NusWideLikeOptions = {}): TrainingData {
  if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'nusWideLike: options must be an object');
  const { n = 10000, concepts = 10, imageDim = 500, textDim = 1000, seed = 0 } = options;
  if (concepts !== 10 && concepts !== 21) fail('ERR_ASCMH_OPTION', 'nusWideLike: concepts must be 10 or 21');
  checkSizes('nusWideLike', { n, imageDim, textDim }, [[n, imageDim], [n, textDim]]);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail('ERR_ASCMH_OPTION', 'nusWideLike: seed must be a finite number');
  const rng = new SeededRandom(seed);
  // Zipf-like concept frequencies: the commonest concept about 15x the rarest.
  const weight = Array.from({ length: concepts }, (_, c) => 1 / (c + 1) ** 0.9);
  const total = weight.reduce((a, b) => a + b, 0);
  const cumulative = weight.map((_, c) => weight.slice(0, c + 1).reduce((a, b) => a + b, 0) / total);
  const pickConcept = () => {
    const u = rng.uniform();
    const c = cumulative.findIndex((x) => u < x);
    return c < 0 ? concepts - 1 : c;
  };
  // Each concept prefers ~40 visual words and ~30 tags; a shared background covers the rest.
  const prefer = (dim: number, count: number) => Array.from({ length: concepts }, () => Int32Array.from({ length: count }, () => rng.int(dim)));
  const visualWords = prefer(imageDim, 40);
  const conceptTags = prefer(textDim, 30);
  const image = new Float32Array(n * imageDim);
  const text = new Float32Array(n * textDim);
  const labels = new Uint8Array(n * concepts);
  const mine: number[] = [];
  for (let i = 0; i < n; i++) {
    mine.length = 0;
    const count = 1 + (rng.uniform() < 0.5 ? 0 : rng.uniform() < 0.5 ? 1 : rng.uniform() < 0.6 ? 2 : 3);
    while (mine.length < count) {
      const c = pickConcept();
      if (!mine.includes(c)) mine.push(c);
    }
    for (const c of mine) labels[i * concepts + c] = 1;
    const img = image.subarray(i * imageDim, (i + 1) * imageDim);
    const words = 150 + rng.int(250);
    for (let w = 0; w < words; w++) {
      const fromConcept = rng.uniform() < 0.55;
      const word = fromConcept ? visualWords[mine[rng.int(mine.length)]][rng.int(40)] : rng.int(imageDim);
      img[word] += 1;
    }
    for (let d = 0; d < imageDim; d++) img[d] /= words;
    const tags = 2 + rng.int(8);
    for (let t = 0; t < tags; t++) {
      const fromConcept = rng.uniform() < 0.7;
      const tag = fromConcept ? conceptTags[mine[rng.int(mine.length)]][rng.int(30)] : rng.int(textDim);
      text[i * textDim + tag] = 1;
    }
  }
  return {
    image: { rows: n, cols: imageDim, data: image },
    text: { rows: n, cols: textDim, data: text },
    labels: { rows: n, cols: concepts, data: labels },
  };
}
