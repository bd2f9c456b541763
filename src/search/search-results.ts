// Search results: thin classes over the native typed arrays (no copy). They add a per-query
// accessor, JSON serialisation and ids as numbers, and keep the raw fields for the fast path.
import { fail } from '../core/errors.js';

/** How result ids are given: int64 bigints (exact for every id) or numbers (ids must be below 2^53). */
export type IdType = 'bigint' | 'number';

/** The ids array of each {@link IdType}. */
export type IdArray<T extends IdType> = T extends 'number' ? Float64Array : BigInt64Array;

/** One query's results: views into the result's arrays (no copy), best first. */
export interface QueryResult<T extends IdType = 'bigint'> {
  ids: IdArray<T>;
  distances: Uint16Array;
}

/** One query's results in JSON: ids are numbers, or decimal strings where an id is beyond 2^53. */
export interface QueryResultJSON {
  ids: (number | string)[];
  distances: number[];
}

/** int64 ids as numbers, or ERR_ASCMH_ID_RANGE naming the first id that a number cannot hold. */
export function idsAsNumbers(ids: BigInt64Array): Float64Array {
  const out = new Float64Array(ids.length);
  // Two 32-bit halves per id (little-endian): no bigint is created per element.
  const words = new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2);
  for (let j = 0; j < ids.length; j++) {
    const value = words[2 * j + 1] * 4294967296 + (words[2 * j] >>> 0);
    if (!Number.isSafeInteger(value)) fail('ERR_ASCMH_ID_RANGE', `id ${ids[j]} is beyond 2^53 and cannot be a number; use idType 'bigint'`);
    out[j] = value;
  }
  return out;
}

const jsonId = (id: bigint) => (id >= -9007199254740991n && id <= 9007199254740991n ? Number(id) : id.toString());

function queryJSON(ids: BigInt64Array | Float64Array, distances: Uint16Array): QueryResultJSON {
  return { ids: ids instanceof Float64Array ? Array.from(ids) : Array.from(ids, jsonId), distances: Array.from(distances) };
}

function checkQuery(query: number, count: number): void {
  if (!Number.isInteger(query) || query < 0 || query >= count) fail('ERR_ASCMH_OPTION', `query must be an integer in [0, ${count - 1}], got ${String(query)}`);
}

/**
 * Top-k results. Query q's results are entries [q * k, (q + 1) * k) of `ids` and `distances`, by
 * ascending distance, ties in insertion order; `get(q)` gives them as views.
 */
export class TopKResult<T extends IdType = 'bigint'> {
  /** Number of queries. */
  readonly count: number;
  /** Results per query: min(options.k, index size). */
  readonly k: number;
  /** Ids of all queries' results, query after query (bigints, or numbers with idType 'number'). */
  readonly ids: IdArray<T>;
  /** Hamming distances, aligned with `ids`. */
  readonly distances: Uint16Array;

  /** @internal Wraps the arrays of a native search. */
  constructor(raw: { count: number; k: number; ids: BigInt64Array; distances: Uint16Array }, idType: T) {
    this.count = raw.count;
    this.k = raw.k;
    this.ids = (idType === 'number' ? idsAsNumbers(raw.ids) : raw.ids) as IdArray<T>;
    this.distances = raw.distances;
  }

  /** Query `query`'s results, best first (views, no copy). */
  get(query: number): QueryResult<T> {
    checkQuery(query, this.count);
    const [from, to] = [query * this.k, (query + 1) * this.k];
    return { ids: this.ids.subarray(from, to) as IdArray<T>, distances: this.distances.subarray(from, to) };
  }

  /** Every query's results, in query order. */
  *[Symbol.iterator](): IterableIterator<QueryResult<T>> {
    for (let q = 0; q < this.count; q++) yield this.get(q);
  }

  /** `{ count, k, results: [{ ids, distances }, ...] }`; ids beyond 2^53 become decimal strings. */
  toJSON(): { count: number; k: number; results: QueryResultJSON[] } {
    const results: QueryResultJSON[] = [];
    for (const r of this) results.push(queryJSON(r.ids, r.distances));
    return { count: this.count, k: this.k, results };
  }
}

/**
 * Radius results. Query q's results are entries [offsets[q], offsets[q + 1]), in the same order as
 * top-k results; `get(q)` gives them as views.
 */
export class RadiusResult<T extends IdType = 'bigint'> {
  /** Number of queries. */
  readonly count: number;
  /** count + 1 entry offsets into `ids` and `distances`. */
  readonly offsets: Float64Array;
  /** Ids of all queries' results, query after query (bigints, or numbers with idType 'number'). */
  readonly ids: IdArray<T>;
  /** Hamming distances, aligned with `ids`. */
  readonly distances: Uint16Array;

  /** @internal Wraps the arrays of a native search. */
  constructor(raw: { count: number; offsets: Float64Array; ids: BigInt64Array; distances: Uint16Array }, idType: T) {
    this.count = raw.count;
    this.offsets = raw.offsets;
    this.ids = (idType === 'number' ? idsAsNumbers(raw.ids) : raw.ids) as IdArray<T>;
    this.distances = raw.distances;
  }

  /** Query `query`'s results, best first (views, no copy). */
  get(query: number): QueryResult<T> {
    checkQuery(query, this.count);
    const [from, to] = [this.offsets[query], this.offsets[query + 1]];
    return { ids: this.ids.subarray(from, to) as IdArray<T>, distances: this.distances.subarray(from, to) };
  }

  /** Every query's results, in query order. */
  *[Symbol.iterator](): IterableIterator<QueryResult<T>> {
    for (let q = 0; q < this.count; q++) yield this.get(q);
  }

  /** `{ count, results: [{ ids, distances }, ...] }`; ids beyond 2^53 become decimal strings. */
  toJSON(): { count: number; results: QueryResultJSON[] } {
    const results: QueryResultJSON[] = [];
    for (const r of this) results.push(queryJSON(r.ids, r.distances));
    return { count: this.count, results };
  }
}
