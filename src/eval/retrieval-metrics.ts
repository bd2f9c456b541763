// Top-N precision/recall and precision-recall by Hamming radius (method page, "Retrieval and
// evaluation"), computed natively over all queries in parallel.
import { callNative, callNativeAsync, fail } from '../core/errors.js';
import type { HammingCodes } from '../search/hamming-index.js';
import { type LabelMatrix, validateCodes, validateLabels } from '../core/matrix.js';
import { native } from '../core/native.js';

/** A row-major 0/1 label matrix: one row per item, one column per class. */
export type LabelRows = LabelMatrix;

/**
 * Ranking: ascending Hamming distance, ties by ascending database index. An item is relevant to a
 * query when they share at least one label.
 */
export interface RetrievalMetricsInput {
  queries: HammingCodes;
  database: HammingCodes;
  queryLabels: LabelRows;
  databaseLabels: LabelRows;
  /** Leave queries with no relevant item out of every mean (default: they count, with recall 0). */
  skipWithoutRelevant?: boolean;
}

export interface TopNInput extends RetrievalMetricsInput {
  /** List lengths N (positive integers). N beyond the database size means the whole database. */
  ns: ReadonlyArray<number>;
}

/** Precision and recall of the top N, for each N asked. */
export interface TopNMetrics {
  /** precision[g]: mean over queries of (relevant items in the top N) / min(N, database size), N = ns[g]. */
  precision: Float64Array;
  /** recall[g]: mean over queries of (relevant items in the top N) / (relevant items). */
  recall: Float64Array;
  /** Queries counted in the means. */
  evaluated: number;
}

/** Precision and recall of every Hamming radius from 0 to bits. */
export interface RadiusMetrics {
  /**
   * precision[r], r = 0..bits: mean over the queries that retrieve at least one item within
   * radius r of (relevant retrieved) / (retrieved); NaN when no query retrieves anything.
   */
  precision: Float64Array;
  /** recall[r]: mean over queries of (relevant within radius r) / (relevant items). */
  recall: Float64Array;
  /** precisionQueries[r]: how many queries precision[r] averages. */
  precisionQueries: Float64Array;
  evaluated: number;
}

/**
 * The checked native arguments of a retrieval evaluation (shared by mAP and these metrics):
 * codes of one length, labels with one row per code and the same classes, a non-empty database.
 */
export function retrievalArgs(input: RetrievalMetricsInput, what: string) {
  if (input === null || typeof input !== 'object') fail('ERR_ASCMH_OPTION', `${what} needs { queries, database, queryLabels, databaseLabels }`);
  const queries = validateCodes(input.queries, 'queries');
  const database = validateCodes(input.database, 'database', queries.bits);
  const queryLabels = validateLabels(input.queryLabels, 'queryLabels');
  const databaseLabels = validateLabels(input.databaseLabels, 'databaseLabels');
  if (queryLabels.rows !== queries.count) fail('ERR_ASCMH_SHAPE', `queryLabels has ${queryLabels.rows} rows for ${queries.count} queries`);
  if (databaseLabels.rows !== database.count) fail('ERR_ASCMH_SHAPE', `databaseLabels has ${databaseLabels.rows} rows for ${database.count} items`);
  if (queryLabels.cols !== databaseLabels.cols) fail('ERR_ASCMH_SHAPE', 'query and database labels have different numbers of classes');
  if (database.count === 0) fail('ERR_ASCMH_EMPTY', 'the database is empty');
  return {
    queries: queries.data,
    queryCount: queries.count,
    database: database.data,
    databaseCount: database.count,
    bits: queries.bits,
    queryLabels,
    databaseLabels,
    skipWithoutRelevant: Boolean(input.skipWithoutRelevant),
  };
}

const nativeArgs = (input: RetrievalMetricsInput) => retrievalArgs(input, 'metrics');

function checkNs(ns: unknown): ReadonlyArray<number> {
  if (!Array.isArray(ns) || ns.length === 0 || !ns.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    fail('ERR_ASCMH_OPTION', 'ns must be a non-empty array of positive integers');
  }
  return ns;
}

/** Precision and recall of the top N for every N in `input.ns`. */
export function precisionRecallAtN(input: TopNInput): TopNMetrics {
  const args = { ...nativeArgs(input), ns: checkNs(input.ns) };
  return callNative(() => native.precisionRecallAtN(args));
}

/** {@link precisionRecallAtN} on native threads. */
export async function precisionRecallAtNAsync(input: TopNInput): Promise<TopNMetrics> {
  const args = { ...nativeArgs(input), ns: checkNs(input.ns) };
  return callNativeAsync(() => native.precisionRecallAtNAsync(args));
}

/** Precision and recall within Hamming radius r for r = 0..bits. */
export function precisionRecallByRadius(input: RetrievalMetricsInput): RadiusMetrics {
  const args = nativeArgs(input);
  return callNative(() => native.precisionRecallByRadius(args));
}

/** {@link precisionRecallByRadius} on native threads. */
export async function precisionRecallByRadiusAsync(input: RetrievalMetricsInput): Promise<RadiusMetrics> {
  const args = nativeArgs(input);
  return callNativeAsync(() => native.precisionRecallByRadiusAsync(args));
}
