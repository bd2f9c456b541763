// Micro-batching: concurrent search requests are coalesced into one native search call, and each
// request gets its own slice of the result. Feature queries are encoded with their batch: one
// encode call per modality.
//
// Top-k requests share one batch whatever their k: the batch asks for the largest k, and since
// results are in a total order (ascending distance, ties by insertion order), the first k of a
// query's top-kmax are exactly its top-k. Radius requests share a batch when they have the same
// radius and limit.
//
// When a batch is sent: as soon as it holds `maxBatch` queries; otherwise `windowMs` after its
// first request arrived (0: at the end of the current event-loop turn). While `maxInFlight`
// native calls run, a batch keeps collecting requests (past its window too), and it is sent the
// moment a call finishes: under load, each call takes everything that arrived during the
// previous one. A failed batch is retried request by request, so one request cannot fail
// others.
import type { Codes, Matrix, Modality } from '../core/matrix.js';
import type { HammingRadiusOptions, HammingRadiusResult, HammingSearchOptions, HammingSearchResult } from '../search/hamming-index.js';
import { concatCodes, type ResultSlice } from './wire.js';

/** What the batcher needs of an index (and, for feature queries, of the model). */
export interface SearchBackend {
  // Ids as bigints (the index's default), which the wire format writes exactly.
  /** Top-k of packed codes, ids as bigints. */
  searchAsync(queries: Codes, options: HammingSearchOptions & { idType?: 'bigint' }): Promise<HammingSearchResult>;
  /** Every item within a radius of packed codes, ids as bigints. */
  searchRadiusAsync(queries: Codes, options: HammingRadiusOptions & { idType?: 'bigint' }): Promise<HammingRadiusResult>;
  /** Encodes feature rows (the model's hash function of the modality). */
  encode?(modality: Modality, features: Matrix): Codes | Promise<Codes>;
}

/** Queries: codes, or feature rows of a modality (encoded with the rest of their batch, in one call per modality). */
export type Queries = { codes: Codes } | { modality: Modality; features: Matrix };

const countOf = (q: Queries) => ('codes' in q ? q.codes.count : q.features.rows);

/** Micro-batching of concurrent searches. */
export interface BatchingOptions {
  /** Coalesce concurrent requests (default true). false: one native call per request. */
  enabled?: boolean;
  /** Longest wait of a batch's first request when the native search is idle, in ms (default 1). */
  windowMs?: number;
  /** A batch is sent once it holds this many queries (default 256). */
  maxBatch?: number;
  /** Native search calls running at once (default 1; each already uses every pool thread). */
  maxInFlight?: number;
}

/** One native search call of the batcher: how many requests and queries it served. */
export interface BatchEvent {
  requests: number;
  queries: number;
  seconds: number;
  kind: 'k' | 'radius';
}

type Request = { queries: Queries; count: number; k: number; resolve: (r: ResultSlice) => void; reject: (e: unknown) => void };

interface Batch {
  key: string;
  kind: 'k' | 'radius';
  radius: number;
  limit: number | undefined;
  requests: Request[];
  queries: number;
  kmax: number;
  timer?: NodeJS.Timeout | NodeJS.Immediate;
  due: boolean;
}

/** Coalesces concurrent search requests into native calls and hands each request its slice. */
export class SearchBatcher {
  readonly enabled: boolean;
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly maxInFlight: number;
  /** Native calls made, requests and queries served (for /v1/stats). */
  readonly totals = { calls: 0, requests: 0, queries: 0, retried: 0 };
  #inFlight = 0;
  readonly #open = new Map<string, Batch>();
  /** Full batches waiting for a free slot, oldest first. */
  readonly #due: Batch[] = [];

  constructor(
    private readonly backend: () => SearchBackend,
    options: BatchingOptions = {},
    private readonly onBatch: (event: BatchEvent) => void = () => {},
  ) {
    this.enabled = options.enabled ?? true;
    this.windowMs = options.windowMs ?? 1;
    this.maxBatch = options.maxBatch ?? 256;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  /** Requests waiting in batches that have not been sent. */
  get waiting(): number {
    let n = 0;
    for (const b of this.#open.values()) n += b.requests.length;
    for (const b of this.#due) n += b.requests.length;
    return n;
  }

  /** Top-k of each query (k >= 1 checked by the caller). */
  search(queries: Queries, k: number): Promise<ResultSlice> {
    return this.#submit('k', 'k', 0, undefined, queries, k);
  }

  /** Every item within `radius`, at most `limit` per query. */
  searchRadius(queries: Queries, radius: number, limit: number | undefined): Promise<ResultSlice> {
    return this.#submit(`r${radius}:${limit ?? ''}`, 'radius', radius, limit, queries, 0);
  }

  #submit(key: string, kind: 'k' | 'radius', radius: number, limit: number | undefined, queries: Queries, k: number): Promise<ResultSlice> {
    return new Promise<ResultSlice>((resolve, reject) => {
      const count = countOf(queries);
      const request: Request = { queries, count, k, resolve, reject };
      if (!this.enabled) {
        const batch: Batch = { key, kind, radius, limit, requests: [request], queries: count, kmax: k, due: true };
        void this.#run(batch, false);
        return;
      }
      let batch = this.#open.get(key);
      if (!batch) {
        batch = { key, kind, radius, limit, requests: [], queries: 0, kmax: 0, due: false };
        this.#open.set(key, batch);
        const b = batch;
        const onWindow = () => {
          b.timer = undefined;
          b.due = true;
          this.#pump();
        };
        batch.timer = this.windowMs > 0 ? setTimeout(onWindow, this.windowMs) : setImmediate(onWindow);
      }
      batch.requests.push(request);
      batch.queries += count;
      if (k > batch.kmax) batch.kmax = k;
      if (batch.queries >= this.maxBatch) {
        // Full: closed now (new requests start another batch), sent as soon as a slot is free.
        this.#close(batch);
        this.#due.push(batch);
      }
      this.#pump();
    });
  }

  /** Takes an open batch out of the open set: nothing more joins it. */
  #close(batch: Batch): void {
    if (batch.timer) {
      if (this.windowMs > 0) clearTimeout(batch.timer as NodeJS.Timeout);
      else clearImmediate(batch.timer as NodeJS.Immediate);
      batch.timer = undefined;
    }
    batch.due = true;
    if (this.#open.get(batch.key) === batch) this.#open.delete(batch.key);
  }

  /**
   * Sends batches while native slots are free: full batches first, then open batches whose
   * window has passed. A batch whose window passes while every slot is busy stays open and keeps
   * collecting requests until a slot frees (then it goes at once, see #run).
   */
  #pump(): void {
    while (this.#inFlight < this.maxInFlight) {
      let batch = this.#due.shift();
      if (!batch) {
        for (const open of this.#open.values()) {
          if (open.due) {
            batch = open;
            break;
          }
        }
        if (!batch) return;
        this.#close(batch);
      }
      void this.#run(batch, true);
    }
  }

  /** When a native call finishes, the open batches have waited long enough: they may go now. */
  #release(): void {
    for (const open of this.#open.values()) open.due = true;
    this.#pump();
  }

  async #run(batch: Batch, counted: boolean): Promise<void> {
    if (counted) this.#inFlight++;
    const started = performance.now();
    let queries: Codes | undefined;
    let result: HammingSearchResult | HammingRadiusResult | undefined;
    let error: unknown;
    try {
      const index = this.backend();
      queries = await this.#codes(index, batch.requests);
      result = batch.kind === 'k'
        ? await index.searchAsync(queries, { k: batch.kmax })
        : await index.searchRadiusAsync(queries, { radius: batch.radius, limit: batch.limit });
    } catch (err) {
      error = err;
    }
    if (counted) {
      this.#inFlight--;
      // Start the next native call before slicing this one's results.
      this.#release();
    }
    this.totals.calls++;
    this.totals.requests += batch.requests.length;
    this.totals.queries += batch.queries;
    this.onBatch({ requests: batch.requests.length, queries: batch.queries, seconds: (performance.now() - started) / 1000, kind: batch.kind });
    if (error !== undefined) {
      if (batch.requests.length === 1) batch.requests[0].reject(error);
      else {
        // Alone, each request gets its own answer or its own error.
        this.totals.retried += batch.requests.length;
        for (const r of batch.requests) {
          const single: Batch = { ...batch, requests: [r], queries: r.count, kmax: r.k, due: true };
          void this.#run(single, false);
        }
      }
      return;
    }
    let q0 = 0;
    for (const r of batch.requests) {
      r.resolve(slice(result!, q0, r.count, batch.kind === 'k' ? r.k : 0));
      q0 += r.count;
    }
  }

  /** The codes of a batch in request order: feature rows encoded in one call per modality. */
  async #codes(backend: SearchBackend, requests: Request[]): Promise<Codes> {
    if (requests.length === 1 && 'codes' in requests[0].queries) return requests[0].queries.codes;
    const encoded = new Map<Request, Codes>();
    for (const modality of ['image', 'text'] as const) {
      const group = requests.filter((r) => 'features' in r.queries && r.queries.modality === modality);
      if (group.length === 0) continue;
      if (!backend.encode) throw new Error('feature queries need a model');
      const matrices = group.map((r) => (r.queries as { features: Matrix }).features);
      const codes = await backend.encode(modality, concatRows(matrices));
      const stride = codes.data.length / Math.max(1, codes.count);
      let at = 0;
      for (const r of group) {
        encoded.set(r, { count: r.count, bits: codes.bits, data: codes.data.subarray(at * stride, (at + r.count) * stride) });
        at += r.count;
      }
    }
    const parts = requests.map((r) => ('codes' in r.queries ? r.queries.codes : encoded.get(r)!));
    return parts.length === 1 ? parts[0] : concatCodes(parts);
  }
}

/** Feature matrices of one width as one (Float64). */
function concatRows(parts: Matrix[]): Matrix {
  if (parts.length === 1) return parts[0];
  const cols = parts[0].cols;
  let rows = 0;
  for (const p of parts) rows += p.rows;
  const data = new Float64Array(rows * cols);
  let at = 0;
  for (const p of parts) {
    data.set(p.data.subarray(0, p.rows * cols), at);
    at += p.rows * cols;
  }
  return { rows, cols, data };
}

/** Request's queries [q0, q0 + count) of a batch result; top-k results cut to the request's k. */
function slice(result: HammingSearchResult | HammingRadiusResult, q0: number, count: number, k: number): ResultSlice {
  const from = new Uint32Array(count);
  const to = new Uint32Array(count);
  if ('offsets' in result) {
    for (let q = 0; q < count; q++) {
      from[q] = result.offsets[q0 + q];
      to[q] = result.offsets[q0 + q + 1];
    }
  } else {
    const take = Math.min(k, result.k);
    for (let q = 0; q < count; q++) {
      from[q] = (q0 + q) * result.k;
      to[q] = from[q] + take;
    }
  }
  return { count, from, to, ids: result.ids, distances: result.distances };
}
