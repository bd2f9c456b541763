// Top-N precision/recall and precision-recall by Hamming radius (method page, "Retrieval and
// evaluation"), computed natively over all queries in parallel.
import { callNative, callNativeAsync, fail } from './errors.js';
import type { HammingCodes } from './hamming-index.js';
import type { LabelMatrix } from './matrix.js';
import { native } from './native.js';

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

export interface TopNMetrics {
  /** precision[g]: mean over queries of (relevant items in the top N) / min(N, database size), N = ns[g]. */
  precision: Float64Array;
  /** recall[g]: mean over queries of (relevant items in the top N) / (relevant items). */
  recall: Float64Array;
  /** Queries counted in the means. */
  evaluated: number;
}

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

function aligned(data: Uint8Array): Uint8Array {
  // The native side reads codes as 64-bit words.
  return data.byteOffset % 8 === 0 ? data : data.slice();
}

function checkCodes(c: HammingCodes, name: string): void {
  if (c === null || typeof c !== 'object') fail('ERR_ASCMH_CODES', `${name} must be { count, bits, data: Uint8Array }`);
  if (!Number.isInteger(c.count) || c.count < 0) fail('ERR_ASCMH_CODES', `${name}.count must be a non-negative integer`);
  if (!Number.isInteger(c.bits) || c.bits < 1 || c.bits > 65535) fail('ERR_ASCMH_BITS', `${name}.bits must be an integer in [1, 65535]`);
  if (!(c.data instanceof Uint8Array)) fail('ERR_ASCMH_DTYPE', `${name}.data must be a Uint8Array`);
  const needed = c.count * 8 * Math.ceil(c.bits / 64);
  if (c.data.byteLength < needed) fail('ERR_ASCMH_CODES_LENGTH', `${name}.data holds ${c.data.byteLength} bytes, ${needed} needed`);
}

function checkLabels(l: LabelRows, rows: number, name: string): void {
  if (l === null || typeof l !== 'object' || !(l.data instanceof Uint8Array)) {
    fail('ERR_ASCMH_DTYPE', `${name} must be { rows, cols, data: Uint8Array }`);
  }
  if (l.rows !== rows) fail('ERR_ASCMH_SHAPE', `${name} has ${l.rows} rows for ${rows} codes`);
  if (!Number.isInteger(l.cols) || l.cols < 1 || l.data.length !== l.rows * l.cols) {
    fail('ERR_ASCMH_SHAPE', `${name}.data length does not equal rows * cols`);
  }
}

function nativeArgs(input: RetrievalMetricsInput) {
  if (input === null || typeof input !== 'object') fail('ERR_ASCMH_OPTION', 'metrics need { queries, database, queryLabels, databaseLabels }');
  const { queries, database } = input;
  checkCodes(queries, 'queries');
  checkCodes(database, 'database');
  if (queries.bits !== database.bits) fail('ERR_ASCMH_BITS_MISMATCH', `queries have ${queries.bits} bits, the database ${database.bits}`);
  checkLabels(input.queryLabels, queries.count, 'queryLabels');
  checkLabels(input.databaseLabels, database.count, 'databaseLabels');
  if (input.queryLabels.cols !== input.databaseLabels.cols) fail('ERR_ASCMH_SHAPE', 'query and database labels have different numbers of classes');
  if (database.count === 0) fail('ERR_ASCMH_EMPTY', 'the database is empty');
  return {
    queries: aligned(queries.data),
    queryCount: queries.count,
    database: aligned(database.data),
    databaseCount: database.count,
    bits: queries.bits,
    queryLabels: input.queryLabels,
    databaseLabels: input.databaseLabels,
    skipWithoutRelevant: input.skipWithoutRelevant === true,
  };
}

function checkNs(ns: unknown): ReadonlyArray<number> {
  if (!Array.isArray(ns) || ns.length === 0 || !ns.every((n) => Number.isInteger(n) && n >= 1)) {
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
