// Exact Hamming search over packed binary codes, backed by the native index.
import { type ErrorCode, callNative, callNativeAsync, fail } from '../core/errors.js';
import { type Codes, validateCodes, validateMatrix } from '../core/matrix.js';
import { native } from '../core/native.js';
import { checkPath } from '../core/paths.js';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Durability, DurableHammingIndex } from './durable-index.js';
import { type IdType, RadiusResult, TopKResult } from './search-results.js';

/**
 * Packed binary codes. Item i occupies ceil(bits/64) little-endian 64-bit words starting at byte
 * 8 * i * ceil(bits/64); bit j of the code is bit (j mod 64) of word floor(j/64). Bits beyond
 * `bits` in the last word are ignored.
 */
export type HammingCodes = Codes;

/**
 * Item ids: any integer in the signed 64-bit range. Numbers must be safe integers; use bigints
 * (or a BigInt64Array) beyond 2^53.
 */
export type HammingIds = BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Float64Array | ReadonlyArray<number | bigint>;

/** Options of a new HammingIndex. */
export interface HammingIndexOptions {
  /** Code length in bits, an integer in [8, 1024]. */
  bits: number;
}

/** Options of a top-k search. */
export interface HammingSearchOptions {
  /** Results per query, a positive integer; capped at the index size. */
  k: number;
  /** Threads from the shared pool (0 or absent = all). */
  threads?: number;
  /** Result ids as `'bigint'` (default, exact for every id) or `'number'` (ERR_ASCMH_ID_RANGE if an id is beyond 2^53). */
  idType?: IdType;
}

/** Options of a radius search. */
export interface HammingRadiusOptions {
  /** Largest Hamming distance returned, an integer in [0, bits]. */
  radius: number;
  /** At most this many results per query (the first ones in result order). */
  limit?: number;
  /** Threads from the shared pool (0 or absent = all). */
  threads?: number;
  /** Result ids as `'bigint'` (default, exact for every id) or `'number'` (ERR_ASCMH_ID_RANGE if an id is beyond 2^53). */
  idType?: IdType;
}

/**
 * The fields of top-k results (what {@link TopKResult} holds): query q's results are entries
 * [q * k, (q + 1) * k), ordered by ascending distance, ties by insertion order (the item added
 * first comes first).
 */
export interface HammingSearchResult {
  /** Number of queries. */
  count: number;
  /** Results per query: min(options.k, index size). */
  k: number;
  /** Ids as int64 (bigints), exact for every id. */
  ids: BigInt64Array;
  /** Hamming distances, aligned with `ids`. */
  distances: Uint16Array;
}

/** Real-valued query projections, one row per query and one column per code bit (`model.project`). */
export interface Projections {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

/** Options of an asymmetric search. */
export interface AsymmetricSearchOptions {
  /** Results per query, a positive integer; capped at the index size. */
  k: number;
  /**
   * Re-rank instead of scoring every item: the `rerank` Hamming-nearest items of each query's sign
   * code are scored and the best k returned. An integer >= k; absent: a full scan.
   */
  rerank?: number;
  /** How the sign code of a projection is formed for `rerank`: bit set where p >= 0 (default) or p > 0 (BATCH). */
  threshold?: 'nonnegative' | 'positive';
  /** Threads from the shared pool (0 or absent = all). */
  threads?: number;
}

/**
 * Asymmetric top-k results: query q's results are entries [q * k, (q + 1) * k), by descending
 * score sum_j p_j * (bit_j ? +1 : -1), ties by insertion order.
 */
export interface AsymmetricSearchResult {
  count: number;
  k: number;
  ids: BigInt64Array;
  /** Single-precision scores (the kernel's own, exactly: equal codes have equal scores). */
  scores: Float32Array;
}

/**
 * The fields of radius results (what {@link RadiusResult} holds): query q's results are entries
 * [offsets[q], offsets[q + 1]), in the same order as top-k results.
 */
export interface HammingRadiusResult {
  /** Number of queries. */
  count: number;
  /** count + 1 entry offsets into `ids` and `distances`. */
  offsets: Float64Array;
  /** Ids as int64 (bigints), exact for every id. */
  ids: BigInt64Array;
  /** Hamming distances, aligned with `ids`. */
  distances: Uint16Array;
}

/** Whether the file at `path` starts like an index file (any format version). */
export async function isIndexFile(path: string): Promise<boolean> {
  checkPath(path, 'index path');
  const file = await open(path, 'r').catch((err: NodeJS.ErrnoException) => fail('ERR_ASCMH_FILE', `cannot read ${path}: ${err.code}`));
  try {
    const head = Buffer.alloc(8);
    await file.read(head, 0, 8, 0);
    return /^ASCMHIX\d$/.test(head.toString('latin1'));
  } finally {
    await file.close();
  }
}

const MIN_BITS = 8;
const MAX_BITS = 1024;

function checkInteger(value: unknown, code: ErrorCode, what: string, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    fail(code, `${what} must be an integer in [${lo}, ${hi}], got ${String(value)}`);
  }
  return value;
}

function checkOptions(options: unknown): Record<string, unknown> {
  if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'search options must be an object');
  const o = options as Record<string, unknown>;
  if (o.threads !== undefined) checkInteger(o.threads, 'ERR_ASCMH_OPTION', 'threads', 0, 4096);
  if (o.idType !== undefined && o.idType !== 'bigint' && o.idType !== 'number') fail('ERR_ASCMH_OPTION', `idType must be 'bigint' or 'number', got ${String(o.idType)}`);
  return o;
}

/**
 * Exact Hamming nearest-neighbour index over packed codes.
 *
 * Consistency: every search sees the index exactly as it was when the search was called, also
 * for `searchAsync`, which runs on native threads while `add`/`remove` continue on the JS thread;
 * concurrent adds, removes and searches are safe.
 */
export class HammingIndex {
  readonly #native: {
    bits: number;
    size: number;
    add(codes: HammingCodes, ids?: HammingIds): void;
    remove(ids: HammingIds): number;
    get(id: number | bigint): Uint8Array | null;
    search(q: HammingCodes, o: HammingSearchOptions): HammingSearchResult;
    searchAsync(q: HammingCodes, o: HammingSearchOptions): Promise<HammingSearchResult>;
    searchRadius(q: HammingCodes, o: HammingRadiusOptions): HammingRadiusResult;
    searchRadiusAsync(q: HammingCodes, o: HammingRadiusOptions): Promise<HammingRadiusResult>;
    searchAsymmetric(p: Projections, o: AsymmetricSearchOptions): AsymmetricSearchResult;
    searchAsymmetricAsync(p: Projections, o: AsymmetricSearchOptions): Promise<AsymmetricSearchResult>;
    save(path: string): void;
    load(path: string): void;
    openMapped(path: string): void;
    setReadonly(): void;
    ownedBytes(): number;
  };

  constructor(options: HammingIndexOptions) {
    if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'HammingIndex needs { bits }');
    const bits = checkInteger(options.bits, 'ERR_ASCMH_BITS', 'bits', MIN_BITS, MAX_BITS);
    this.#native = callNative(() => new native.HammingIndex(bits));
  }

  /** The distance kernel this CPU uses: "avx512", "avx2", "popcnt" or "generic" (chosen at load time). */
  static get kernel(): string {
    return native.hammingKernel();
  }

  /** Reads an index written by {@link HammingIndex.save} into memory, checking all of it; throws `ERR_ASCMH_INDEX_*` on a damaged file. */
  static load(path: string): HammingIndex {
    const index = new HammingIndex({ bits: 64 });
    index.#load(path);
    return index;
  }

  /**
   * Maps a saved index file instead of reading it: opening costs the same at any size, memory grows
   * only with the pages searches touch, and processes that map one file share one copy. Each block
   * of the file is checked against its checksum the first time it is read, so a damaged file fails
   * the first search that reads the damage (`ERR_ASCMH_INDEX_CORRUPT`), before any result from it
   * is returned. Read-only by default; `{ readonly: false }` allows adds and removes in memory (the
   * file never changes; save writes elsewhere). Files of format version 1 are read whole instead.
   * With `{ durability }`, `path` is the directory of a durable index (a snapshot plus a
   * write-ahead log): this is `DurableHammingIndex.open(path, options)`, and returns its Promise.
   */
  static open(path: string, options?: { readonly?: boolean }): HammingIndex;
  static open(path: string, options: { durability: Durability; bits?: number }): Promise<DurableHammingIndex>;
  static open(path: string, options: { readonly?: boolean; durability?: Durability; bits?: number } = {}): HammingIndex | Promise<DurableHammingIndex> {
    checkPath(path, 'index path');
    if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'open options must be an object');
    if (options.durability !== undefined) return import('./durable-index.js').then((m) => m.DurableHammingIndex.open(path, options));
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      fail('ERR_ASCMH_INDEX_FORMAT', `${path} is a directory: a durable index opens with { durability } (or DurableHammingIndex.open)`);
    }
    if (options.readonly !== undefined && typeof options.readonly !== 'boolean') fail('ERR_ASCMH_OPTION', 'readonly must be a boolean');
    const index = new HammingIndex({ bits: 64 });
    callNative(() => index.#native.openMapped(path));
    if (options.readonly !== false) index.#native.setReadonly();
    return index;
  }

  /** @internal An index object over native state held elsewhere (a durable index's searches). */
  static wrapNative(setup: (nativeIndex: unknown) => void): HammingIndex {
    const index = new HammingIndex({ bits: 64 });
    setup(index.#native);
    return index;
  }

  /** Bytes of memory the index holds itself: codes and ids it owns, removal masks, the id map (not mapped files). */
  get ownedBytes(): number {
    return this.#native.ownedBytes();
  }

  #load(path: string): void {
    checkPath(path, 'index path');
    callNative(() => this.#native.load(path));
  }

  /** Code length in bits. */
  get bits(): number {
    return this.#native.bits;
  }

  /** Number of items in the index. */
  get size(): number {
    return this.#native.size;
  }

  /**
   * Adds `codes.count` items. Without `ids`, items get consecutive ids after the largest id seen
   * so far (0, 1, 2, ... for an index that only uses automatic ids). An id already present, or
   * repeated in `ids`, throws `ERR_ASCMH_DUPLICATE_ID` and adds nothing.
   */
  add(codes: HammingCodes, ids?: HammingIds): void {
    const checked = validateCodes(codes, 'codes', this.bits);
    if (ids !== undefined && ids.length !== checked.count) {
      fail('ERR_ASCMH_IDS_LENGTH', `${ids.length} ids for ${checked.count} codes`);
    }
    callNative(() => this.#native.add(checked, ids));
  }

  /** Removes the items with these ids; returns how many were present (unknown ids are ignored). */
  remove(ids: HammingIds): number {
    return callNative(() => this.#native.remove(ids));
  }

  /** The packed code of an item (ceil(bits/64) * 8 bytes), or undefined when the id is absent. */
  get(id: number | bigint): Uint8Array | undefined {
    return callNative(() => this.#native.get(id)) ?? undefined;
  }

  /**
   * Exact top-k by Hamming distance, ties by insertion order. `result.get(q)` gives query q's ids
   * and distances; with `{ idType: 'number' }` the ids are numbers.
   */
  search<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingSearchOptions & { idType?: T }): TopKResult<T> {
    const checked = this.#checkSearch(queries, options);
    const raw = callNative(() => this.#native.search(checked, options));
    return new TopKResult(raw, (options.idType ?? 'bigint') as T);
  }

  /** {@link search} on native threads; the index state is fixed when this is called. */
  async searchAsync<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingSearchOptions & { idType?: T }): Promise<TopKResult<T>> {
    const checked = this.#checkSearch(queries, options);
    const raw = await callNativeAsync(() => this.#native.searchAsync(checked, options));
    return new TopKResult(raw, (options.idType ?? 'bigint') as T);
  }

  /** Every item within `radius` (at most `limit` per query), same order as {@link search}. */
  searchRadius<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingRadiusOptions & { idType?: T }): RadiusResult<T> {
    const checked = this.#checkRadius(queries, options);
    const raw = callNative(() => this.#native.searchRadius(checked, options));
    return new RadiusResult(raw, (options.idType ?? 'bigint') as T);
  }

  /** {@link searchRadius} on native threads; the index state is fixed when this is called. */
  async searchRadiusAsync<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingRadiusOptions & { idType?: T }): Promise<RadiusResult<T>> {
    const checked = this.#checkRadius(queries, options);
    const raw = await callNativeAsync(() => this.#native.searchRadiusAsync(checked, options));
    return new RadiusResult(raw, (options.idType ?? 'bigint') as T);
  }

  /**
   * Asymmetric top-k: ranks the codes by their inner product with real-valued query projections
   * (`model.project`), score = sum_j p_j * (bit_j ? +1 : -1), highest first, ties by insertion
   * order. Without `rerank` every item is scored (per-byte lookup tables); with `rerank: N` the N
   * Hamming-nearest items of each projection's sign code are re-scored.
   */
  searchAsymmetric(projections: Projections, options: AsymmetricSearchOptions): AsymmetricSearchResult {
    const checked = this.#checkAsymmetric(projections, options);
    return callNative(() => this.#native.searchAsymmetric(checked, options));
  }

  /** {@link searchAsymmetric} on native threads (the projections are copied when it is called). */
  async searchAsymmetricAsync(projections: Projections, options: AsymmetricSearchOptions): Promise<AsymmetricSearchResult> {
    const checked = this.#checkAsymmetric(projections, options);
    return callNativeAsync(() => this.#native.searchAsymmetricAsync(checked, options));
  }

  /**
   * Writes the index (versioned header, checksums) to `path`: a temporary file beside it, flushed
   * and renamed over it, so a failed save leaves the previous file as it was.
   */
  save(path: string): void {
    checkPath(path, 'index path');
    callNative(() => this.#native.save(path));
  }

  #checkSearch(queries: HammingCodes, options: HammingSearchOptions): Codes {
    const checked = validateCodes(queries, 'queries', this.bits);
    const o = checkOptions(options);
    checkInteger(o.k, 'ERR_ASCMH_K', 'k', 1, Number.MAX_SAFE_INTEGER);
    return checked;
  }

  #checkAsymmetric(projections: Projections, options: AsymmetricSearchOptions): Projections {
    const checked = validateMatrix(projections, 'projections', { allowEmpty: true, checkFinite: false });
    if (checked.cols !== this.bits) fail('ERR_ASCMH_SHAPE', `projections have ${checked.cols} columns; the index holds ${this.bits}-bit codes`);
    const o = checkOptions(options);
    const k = checkInteger(o.k, 'ERR_ASCMH_K', 'k', 1, Number.MAX_SAFE_INTEGER);
    if (o.rerank !== undefined) {
      checkInteger(o.rerank, 'ERR_ASCMH_RERANK', 'rerank', 1, Number.MAX_SAFE_INTEGER);
      if ((o.rerank as number) < k) fail('ERR_ASCMH_RERANK', `rerank (${String(o.rerank)}) must be at least k (${k})`);
    }
    if (o.threshold !== undefined && o.threshold !== 'nonnegative' && o.threshold !== 'positive') {
      fail('ERR_ASCMH_OPTION', `threshold must be 'nonnegative' or 'positive', got ${String(o.threshold)}`);
    }
    return checked;
  }

  #checkRadius(queries: HammingCodes, options: HammingRadiusOptions): Codes {
    const checked = validateCodes(queries, 'queries', this.bits);
    const o = checkOptions(options);
    checkInteger(o.radius, 'ERR_ASCMH_RADIUS', 'radius', 0, this.bits);
    if (o.limit !== undefined) checkInteger(o.limit, 'ERR_ASCMH_LIMIT', 'limit', 1, Number.MAX_SAFE_INTEGER);
    return checked;
  }
}
