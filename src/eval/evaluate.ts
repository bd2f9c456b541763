/**
 * Retrieval metrics: mAP (Hamming and asymmetric), precision and recall at N and by radius, and both cross-modal tasks of a model (`evaluate` in the package).
 * @module
 */
import { callNative, callNativeAsync, fail } from '../core/errors.js';
import { type Codes, type LabelMatrix, type Matrix, validateCodes, validateLabels, validateMatrix } from '../core/matrix.js';
import type { CrossModalHashModel } from '../train/model.js';
import { native } from '../core/native.js';
import { type RadiusMetrics, type TopNMetrics, precisionRecallAtNAsync, precisionRecallByRadiusAsync, retrievalArgs } from './retrieval-metrics.js';

/** Query and database codes with their labels: the input of the mAP functions. */
export interface MapInput {
  queries: Codes;
  database: Codes;
  queryLabels: LabelMatrix;
  databaseLabels: LabelMatrix;
  /** mAP@top: only the first `top` ranks count (default: the whole database). */
  top?: number;
  /** Leave queries with no relevant item out of the mean instead of counting AP = 0. */
  skipWithoutRelevant?: boolean;
}

/** mAP and the average precision of every query. */
export interface MapResult {
  map: number;
  /** AP of every query (NaN for a skipped one). */
  averagePrecision: Float64Array;
  /** Queries that count in the mean. */
  evaluated: number;
}

function nativeArgs(input: MapInput) {
  const args = retrievalArgs(input, 'evaluation');
  const top = input.top ?? 0;
  if (!Number.isSafeInteger(top) || top < 0) fail('ERR_ASCMH_OPTION', `top must be a non-negative safe integer (0 = all), got ${String(top)}`);
  return { ...args, top };
}

const toResult = (r: { map: number; ap: Float64Array; evaluated: number }): MapResult => ({
  map: r.map,
  averagePrecision: r.ap,
  evaluated: r.evaluated,
});

/**
 * mAP (Eq. 26-27): ranking by ascending Hamming distance, ties by ascending database index;
 * relevant = shares at least one label; a query without relevant items has AP = 0 unless skipped.
 */
export function meanAveragePrecision(input: MapInput): number {
  return averagePrecision(input).map;
}

/** mAP with the AP of every query. */
export function averagePrecision(input: MapInput): MapResult {
  const args = nativeArgs(input);
  return toResult(callNative(() => native.meanAveragePrecision(args)));
}

/** averagePrecision on native threads; never blocks the event loop. */
export async function averagePrecisionAsync(input: MapInput): Promise<MapResult> {
  const args = nativeArgs(input);
  return toResult(await callNativeAsync(() => native.meanAveragePrecisionAsync(args)));
}

/** How a database is ranked for a query: by Hamming distance of codes, or by asymmetric score. */
export type Ranking = 'hamming' | 'asymmetric';

/** The input of the asymmetric mAP: query projections instead of query codes. */
export interface AsymmetricMapInput extends Omit<MapInput, 'queries'> {
  /** Real-valued query projections, one column per code bit (`model.project`). */
  projections: Matrix;
}

function asymmetricArgs(input: AsymmetricMapInput) {
  if (input === null || typeof input !== 'object') fail('ERR_ASCMH_OPTION', 'evaluation needs { projections, database, queryLabels, databaseLabels }');
  const projections = validateMatrix(input.projections, 'projections', { allowEmpty: true, checkFinite: false });
  const database = validateCodes(input.database, 'database');
  if (projections.cols !== database.bits) fail('ERR_ASCMH_SHAPE', `projections have ${projections.cols} columns for ${database.bits}-bit codes`);
  const queryLabels = validateLabels(input.queryLabels, 'queryLabels');
  const databaseLabels = validateLabels(input.databaseLabels, 'databaseLabels');
  if (queryLabels.rows !== projections.rows) fail('ERR_ASCMH_SHAPE', `queryLabels has ${queryLabels.rows} rows for ${projections.rows} queries`);
  if (databaseLabels.rows !== database.count) fail('ERR_ASCMH_SHAPE', `databaseLabels has ${databaseLabels.rows} rows for ${database.count} items`);
  if (queryLabels.cols !== databaseLabels.cols) fail('ERR_ASCMH_SHAPE', 'query and database labels have different numbers of classes');
  if (database.count === 0) fail('ERR_ASCMH_EMPTY', 'the database is empty');
  const top = input.top ?? 0;
  if (!Number.isSafeInteger(top) || top < 0) fail('ERR_ASCMH_OPTION', `top must be a non-negative safe integer (0 = all), got ${String(top)}`);
  return { projections, database: database.data, databaseCount: database.count, bits: database.bits, queryLabels, databaseLabels, skipWithoutRelevant: Boolean(input.skipWithoutRelevant), top };
}

/**
 * mAP under asymmetric ranking: the database codes ranked by descending score
 * sum_j p_j * (bit_j ? +1 : -1) of each query's projection, ties by ascending database index;
 * relevance and AP as in {@link averagePrecision}.
 */
export function averagePrecisionAsymmetric(input: AsymmetricMapInput): MapResult {
  const args = asymmetricArgs(input);
  return toResult(callNative(() => native.meanAveragePrecisionAsymmetric(args)));
}

/** {@link averagePrecisionAsymmetric} on native threads. */
export async function averagePrecisionAsymmetricAsync(input: AsymmetricMapInput): Promise<MapResult> {
  const args = asymmetricArgs(input);
  return toResult(await callNativeAsync(() => native.meanAveragePrecisionAsymmetricAsync(args)));
}

/** mAP of an asymmetric ranking (query projections against database codes); averagePrecisionAsymmetric(input).map. */
export function meanAveragePrecisionAsymmetric(input: AsymmetricMapInput): number {
  return averagePrecisionAsymmetric(input).map;
}

/** How the database is coded: 'train-codes' (the learned training codes B, the paper's) or 'encoded' (database items encoded by the hash functions). */
export type Protocol = 'train-codes' | 'encoded';

/** Paired features and labels of a query set or a database. */
export interface CrossModalSet {
  image: Matrix;
  text: Matrix;
  labels: LabelMatrix;
}

/** mAP of both retrieval tasks, and their curves when asked. */
export interface CrossModalEvaluation {
  /** Image queries against the text side of the database. */
  imageToText: number;
  /** Text queries against the image side of the database. */
  textToImage: number;
  /** Precision/recall curves of both tasks, when asked for with `curves`. */
  curves?: { imageToText: RetrievalCurves; textToImage: RetrievalCurves };
}

/** The paper's figures for one task: precision of the top N, and precision-recall by radius. */
export interface RetrievalCurves {
  topN: { ns: number[] } & TopNMetrics;
  radius: RadiusMetrics;
}

/** Options of evaluateCrossModal. */
export interface CrossModalOptions extends Pick<MapInput, 'top' | 'skipWithoutRelevant'> {
  /** Also the paper's curves (Hamming ranking only). */
  curves?: { ns: number[] };
  /**
   * 'hamming' (default, the paper's protocol): queries encoded, ranked by Hamming distance.
   * 'asymmetric': queries projected (`model.projectAsync`), ranked by asymmetric score.
   */
  ranking?: Ranking;
}

/**
 * Both retrieval tasks under a database protocol. Queries are always encoded (or, with the
 * asymmetric ranking, projected) with the hash function of their modality.
 * - 'train-codes' (the paper's): the database is the training set with its learned codes B;
 *   `database` must be the training set the model was fitted on (its labels are used).
 * - 'encoded': database items are encoded by the hash function of the other modality.
 */
export async function evaluateCrossModal(
  model: CrossModalHashModel,
  queries: CrossModalSet,
  database: CrossModalSet,
  protocol: Protocol = 'train-codes',
  options: CrossModalOptions = {},
): Promise<CrossModalEvaluation> {
  if (protocol !== 'train-codes' && protocol !== 'encoded') fail('ERR_ASCMH_OPTION', `protocol must be 'train-codes' or 'encoded', got ${String(protocol)}`);
  const { ranking = 'hamming', ...rest } = options;
  if (ranking !== 'hamming' && ranking !== 'asymmetric') fail('ERR_ASCMH_OPTION', `ranking must be 'hamming' or 'asymmetric', got ${String(ranking)}`);
  if (ranking === 'asymmetric' && rest.curves) fail('ERR_ASCMH_OPTION', 'the curves (top-N precision, precision-recall by Hamming radius) need the Hamming ranking');
  const [qImage, qText] = ranking === 'hamming'
    ? await Promise.all([model.encodeAsync('image', queries.image), model.encodeAsync('text', queries.text)])
    : [undefined, undefined];
  let dbForImageQueries: Codes, dbForTextQueries: Codes;
  if (protocol === 'train-codes') {
    if (database.labels.rows !== model.trainingCodes.count) {
      fail('ERR_ASCMH_SHAPE', `train-codes protocol: the database must be the ${model.trainingCodes.count} training items, got ${database.labels.rows}`);
    }
    dbForImageQueries = dbForTextQueries = model.trainingCodes;
  } else {
    [dbForImageQueries, dbForTextQueries] = await Promise.all([model.encodeAsync('text', database.text), model.encodeAsync('image', database.image)]);
  }
  const { curves, ...mapOptions } = rest;
  const common = { queryLabels: queries.labels, databaseLabels: database.labels, ...mapOptions };
  let i2t: MapResult, t2i: MapResult;
  if (ranking === 'asymmetric') {
    const [pImage, pText] = await Promise.all([model.projectAsync('image', queries.image), model.projectAsync('text', queries.text)]);
    [i2t, t2i] = await Promise.all([
      averagePrecisionAsymmetricAsync({ projections: pImage, database: dbForImageQueries, ...common }),
      averagePrecisionAsymmetricAsync({ projections: pText, database: dbForTextQueries, ...common }),
    ]);
  } else {
    [i2t, t2i] = await Promise.all([
      averagePrecisionAsync({ queries: qImage!, database: dbForImageQueries, ...common }),
      averagePrecisionAsync({ queries: qText!, database: dbForTextQueries, ...common }),
    ]);
  }
  const result: CrossModalEvaluation = { imageToText: i2t.map, textToImage: t2i.map };
  if (curves && qImage && qText) {
    const curvesOf = async (q: Codes, db: Codes): Promise<RetrievalCurves> => {
      const input = { queries: q, database: db, queryLabels: queries.labels, databaseLabels: database.labels, skipWithoutRelevant: options.skipWithoutRelevant };
      const [topN, radius] = await Promise.all([precisionRecallAtNAsync({ ...input, ns: curves.ns }), precisionRecallByRadiusAsync(input)]);
      return { topN: { ns: [...curves.ns], ...topN }, radius };
    };
    const [imageToText, textToImage] = await Promise.all([curvesOf(qImage, dbForImageQueries), curvesOf(qText, dbForTextQueries)]);
    result.curves = { imageToText, textToImage };
  }
  return result;
}

// Precision and recall of the top N and by Hamming radius (the paper's Figs. 4-6 and PR curves).
export { precisionRecallAtN, precisionRecallAtNAsync, precisionRecallByRadius, precisionRecallByRadiusAsync } from './retrieval-metrics.js';
export type { RadiusMetrics, RetrievalMetricsInput, TopNInput, TopNMetrics } from './retrieval-metrics.js';
