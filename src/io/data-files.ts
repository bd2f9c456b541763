// Feature, label and dataset files: NumPy .npy and MATLAB .mat (level 5 and v7.3).
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { type Dataset, loadDataset } from '../data/datasets.js';
import { fail } from '../core/errors.js';
import { checkPath } from '../core/paths.js';
import { listMatVariables, readMat } from './mat.js';
import type { LabelMatrix, Matrix } from '../core/matrix.js';
import { readNpy } from './npy.js';

/** The parts of a dataset's protocol. */
export type DatasetPart = 'train' | 'query' | 'database';
/** The .mat variable names of each part of a dataset (image, text, labels). */
export type MatDatasetVariables = Record<DatasetPart, { image: string; text: string; labels: string }>;

/** The names the field's published .mat files use. */
export const MAT_VARIABLES: MatDatasetVariables = {
  train: { image: 'I_tr', text: 'T_tr', labels: 'L_tr' },
  query: { image: 'I_te', text: 'T_te', labels: 'L_te' },
  database: { image: 'I_db', text: 'T_db', labels: 'L_db' },
};

const isMat = (path: string) => extname(path).toLowerCase() === '.mat';

interface RawMatrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array | Uint8Array;
}

async function readRaw(path: string, variable: string | undefined, what: string): Promise<RawMatrix> {
  checkPath(path, `${what} path`);
  if (isMat(path)) {
    if (!variable) fail('ERR_ASCMH_OPTION', `${path}: name the ${what} variable of this .mat file`);
    return (await readMat(path, [variable])).get(variable)!;
  }
  const a = await readNpy(path);
  if (a.shape.length !== 2) fail('ERR_ASCMH_NPY', `${path}: ${what} must be a 2-D array, found shape (${a.shape.join(', ')})`);
  return { rows: a.shape[0], cols: a.shape[1], data: a.data };
}

const asFeatures = (m: RawMatrix): Matrix => ({ rows: m.rows, cols: m.cols, data: m.data instanceof Uint8Array ? Float32Array.from(m.data) : m.data });

/** A feature matrix from a .npy file or a .mat variable; integer types become float32. */
export async function readFeatureFile(path: string, variable?: string): Promise<Matrix> {
  return asFeatures(await readRaw(path, variable, 'features'));
}

/**
 * A 0/1 label matrix from a .npy file or a .mat variable. A single column of class numbers
 * (integers, some above 1, as some datasets ship single-label classes) becomes one-hot rows,
 * columns in ascending class order.
 */
export async function readLabelFile(path: string, variable?: string): Promise<LabelMatrix> {
  const m = await readRaw(path, variable, 'labels');
  return toLabels(m, variable ? `${path} (${variable})` : path);
}

function toLabels(m: RawMatrix, name: string): LabelMatrix {
  const values = m.data;
  let isBinary = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0) fail('ERR_ASCMH_LABELS', `${name}: labels must be 0/1 (or class numbers); found ${v} at row ${Math.floor(i / m.cols)}`);
    if (v > 1) isBinary = false;
  }
  if (isBinary) return { rows: m.rows, cols: m.cols, data: values instanceof Uint8Array ? values : Uint8Array.from(values) };
  if (m.cols !== 1) fail('ERR_ASCMH_LABELS', `${name}: labels must be 0/1; found values above 1 in a ${m.cols}-column matrix`);
  const classes = [...new Set(values)].sort((a, b) => a - b);
  const column = new Map(classes.map((c, j) => [c, j]));
  const data = new Uint8Array(m.rows * classes.length);
  for (let i = 0; i < m.rows; i++) data[i * classes.length + column.get(values[i])!] = 1;
  return { rows: m.rows, cols: classes.length, data };
}

function concatRows<M extends RawMatrix>(parts: M[], name: string): M {
  const cols = parts[0].cols;
  const mismatch = parts.find((p) => p.cols !== cols);
  if (mismatch) fail('ERR_ASCMH_DATASET', `${name}: parts have ${cols} and ${mismatch.cols} columns`);
  // Mixed precisions (a double train part and a single test part) become float64.
  const Ctor = (parts.every((p) => p.data.constructor === parts[0].data.constructor) ? parts[0].data.constructor : Float64Array) as new (n: number) => M['data'];
  const out = new Ctor(parts.reduce((a, p) => a + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p.data, offset);
    offset += p.data.length;
  }
  return { rows: parts.reduce((a, p) => a + p.rows, 0), cols, data: out } as M;
}

/**
 * A dataset from one .mat file with train, query and (optionally) database variables. Without
 * database variables the database is the training part, as in the paper's protocol.
 */
export async function loadMatDataset(path: string, variables: MatDatasetVariables = MAT_VARIABLES): Promise<Dataset> {
  const present = new Set((await listMatVariables(path)).map((v) => v.name));
  const hasDatabase = Object.values(variables.database).every((v) => present.has(v));
  const parts: DatasetPart[] = hasDatabase ? ['train', 'query', 'database'] : ['train', 'query'];
  // One read of the file for every variable: a large file is parsed once, not once per variable.
  const matrices = await readMat(path, parts.flatMap((part) => Object.values(variables[part])));
  const loaded = [];
  for (const part of parts) {
    const v = variables[part];
    const image = asFeatures(matrices.get(v.image)!);
    const text = asFeatures(matrices.get(v.text)!);
    const labels = matrices.get(v.labels)!;
    if (image.rows !== text.rows || image.rows !== labels.rows) {
      fail('ERR_ASCMH_DATASET', `${path}: ${v.image}, ${v.text} and ${v.labels} have ${image.rows}, ${text.rows} and ${labels.rows} rows`);
    }
    loaded.push({ image, text, labels });
  }
  const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);
  const [train, query, database] = loaded;
  const split = {
    train: range(0, train.image.rows),
    query: range(train.image.rows, query.image.rows),
    database: database ? range(train.image.rows + query.image.rows, database.image.rows) : range(0, train.image.rows),
  };
  return {
    name: basename(path, extname(path)),
    image: concatRows(loaded.map((p) => p.image), 'image'),
    text: concatRows(loaded.map((p) => p.text), 'text'),
    // Class numbers become one-hot over the classes of all parts together.
    labels: toLabels(concatRows(loaded.map((p) => p.labels), 'labels'), `${path} (labels)`),
    split,
  };
}

/** A dataset folder (img.npy, txt.npy, labels.npy, split.json) or a .mat file. */
export async function openDataset(source: string, variables?: MatDatasetVariables): Promise<Dataset> {
  checkPath(source, 'dataset path');
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(source)).isDirectory();
  } catch (err) {
    fail('ERR_ASCMH_FILE', `cannot read ${source}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (isDirectory) return loadDataset(source);
  if (isMat(source)) return loadMatDataset(source, variables);
  fail('ERR_ASCMH_DATASET', `${source}: a dataset is a folder (img.npy, txt.npy, labels.npy, split.json) or a .mat file`);
}
