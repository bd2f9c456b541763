// The state behind the routes: the model and the index (once they are there), readiness, the
// micro-batcher and the metrics. Routes call these methods; they throw AscmhErrors or HttpProblems.
import { fail } from '../core/errors.js';
import type { Codes, Matrix, Modality } from '../core/matrix.js';
import type { HammingIds } from '../search/hamming-index.js';
import { type AuthOptions, type AuthScope, bearerChecker } from './auth.js';
import { type BatchingOptions, type Queries, SearchBatcher, type SearchBackend } from './batcher.js';
import { HttpProblem } from './errors.js';
import { type MetricsOptions, ServerMetrics } from './metrics.js';
import type { SchemaLimits } from './schemas.js';
import { type ResultSlice, codesFromBase64, featureMatrix } from './wire.js';

/** What the routes need of a model: an ASCMH (or any model with the same methods). */
export interface ServingModel {
  readonly bits: number;
  readonly method?: string;
  /** Feature width of a modality. */
  dimension(modality: Modality): number;
  /** Codes of feature rows, on the calling thread. */
  encode(modality: Modality, features: Matrix): Codes;
  /** Codes of feature rows, on a native thread. */
  encodeAsync(modality: Modality, features: Matrix): Promise<Codes>;
}

/** What the routes need of an index: a DurableHammingIndex (or any index with the same methods). */
export interface ServingIndex extends SearchBackend {
  readonly bits: number;
  readonly size: number;
  /** Adds codes under their ids (automatic ids without); settles once logged under the index's durability. */
  add(codes: Codes, ids?: HammingIds): Promise<{ count: number; firstId: bigint | null }>;
  /** Removes ids; settles once logged, with how many were present. */
  remove(ids: HammingIds): Promise<number>;
  /** The code of an id, or undefined when absent. */
  get(id: number | bigint): Uint8Array | undefined;
  /** Index statistics for GET /v1/stats. */
  stats?(): object;
}

/** Options of the service: batching, auth, limits, metrics. */
export interface ServiceOptions extends Partial<SchemaLimits> {
  batching?: BatchingOptions;
  auth?: AuthOptions;
  metrics?: MetricsOptions;
  /** Largest request body in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Most result entries (queries x k, or x limit) one search may ask for (default 1,000,000). */
  maxResults?: number;
}

/** GET /v1/stats: the model, the index, the batching counters. */
export interface ServiceStats {
  model: { method: string; bits: number; dimensions: { image: number; text: number } };
  index: Record<string, number | string>;
  batching: { enabled: boolean; windowMs: number; maxBatch: number; calls: number; requests: number; queries: number; retried: number };
  uptimeSeconds: number;
}

/** Where the service is in its life: starting, ready, draining (SIGTERM), closing, failed. */
export type ServiceState = 'starting' | 'ready' | 'draining' | 'closing' | 'failed';

/** Feature matrices up to this many values are encoded on the JS thread (a native thread costs more). */
const SYNC_ENCODE_VALUES = 1 << 16;

/** What the routes serve: the model, the index, the batcher, auth and metrics, and the state of the service. */
export class AscmhService {
  model?: ServingModel;
  index?: ServingIndex;
  state: ServiceState = 'starting';
  /** Why the service is not ready yet (e.g. the index is locked by another process). */
  startupProblem?: { code: string; detail: string };
  readonly limits: SchemaLimits;
  readonly bodyLimit: number;
  readonly maxResults: number;
  readonly authScope: AuthScope;
  /** Checks a bearer token in constant time (absent without a token). */
  readonly checkToken?: ReturnType<typeof bearerChecker>;
  readonly batcher: SearchBatcher;
  readonly metrics: ServerMetrics;
  readonly started = Date.now();

  constructor(options: ServiceOptions = {}) {
    this.limits = { maxK: options.maxK ?? 1000, maxQueries: options.maxQueries ?? 10_000 };
    this.bodyLimit = options.bodyLimit ?? 16 << 20;
    this.maxResults = options.maxResults ?? 1_000_000;
    this.authScope = options.auth?.scope ?? 'writes';
    if (options.auth?.token !== undefined) this.checkToken = bearerChecker(options.auth.token);
    this.metrics = new ServerMetrics(options.metrics ?? {}, () => this.index?.size);
    // Feature queries are encoded by the batcher, one call per modality and batch.
    const backend: SearchBackend = {
      searchAsync: (q, o) => this.index!.searchAsync(q, o),
      searchRadiusAsync: (q, o) => this.index!.searchRadiusAsync(q, o),
      encode: (modality, features) => (features.rows * features.cols <= SYNC_ENCODE_VALUES ? this.model!.encode(modality, features) : this.model!.encodeAsync(modality, features)),
    };
    this.batcher = new SearchBatcher(() => backend, options.batching, this.metrics.onBatch);
  }

  /** Makes the service ready with this model and index (the index's codes must have the model's length). */
  attach(model: ServingModel, index: ServingIndex): void {
    if (model.bits !== index.bits) fail('ERR_ASCMH_BITS_MISMATCH', `the index holds ${index.bits}-bit codes; the model makes ${model.bits}-bit codes`);
    this.model = model;
    this.index = index;
    this.startupProblem = undefined;
    if (this.state === 'starting') this.state = 'ready';
  }

  /** Whether the index is open and its log replayed, and the service is not shutting down. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** The model and index, or a 503 problem saying why they are not there. */
  require(): { model: ServingModel; index: ServingIndex } {
    if (this.state === 'closing') throw new HttpProblem('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down', { 'retry-after': '1', connection: 'close' });
    if (!this.model || !this.index || this.state === 'starting' || this.state === 'failed') {
      const p = this.startupProblem;
      throw new HttpProblem(p ? p.code : 'ERR_SERVER_NOT_READY', p ? p.detail : 'the index is not open yet', { 'retry-after': '1' }, 503);
    }
    return { model: this.model, index: this.index };
  }

  /** Feature rows of a modality as codes (model's hash function of that modality). */
  async encode(modality: Modality, rows: ReadonlyArray<ReadonlyArray<number>>): Promise<Codes> {
    const { model } = this.require();
    const features = this.features(modality, rows);
    return features.rows * features.cols <= SYNC_ENCODE_VALUES ? model.encode(modality, features) : model.encodeAsync(modality, features);
  }

  /** Feature rows as a matrix, checked against the width of the modality's hash function. */
  features(modality: Modality, rows: ReadonlyArray<ReadonlyArray<number>>): Matrix {
    const { model } = this.require();
    const features = featureMatrix(rows, `${modality} features`);
    const dim = model.dimension(modality);
    if (features.cols !== dim) fail('ERR_ASCMH_SHAPE', `${modality} features have ${features.cols} values per row; the model's ${modality} hash function takes ${dim}`);
    for (let i = 0; i < features.data.length; i++) {
      if (!Number.isFinite(features.data[i])) fail('ERR_ASCMH_NON_FINITE', `${modality} features have a non-finite value at row ${Math.floor(i / dim)}, column ${i % dim}`);
    }
    return features;
  }

  /** Codes from a request body given as `modality` + `features` or as `codes` (exactly one). */
  async codesOf(body: { modality?: Modality; features?: number[][]; codes?: string }, what: string): Promise<Codes> {
    const q = this.queriesOf(body, what);
    return 'codes' in q ? q.codes : this.encode(q.modality, body.features!);
  }

  /** Queries from a request body: feature rows (checked, encoded later with their batch) or codes. */
  queriesOf(body: { modality?: Modality; features?: number[][]; codes?: string }, what: string): Queries {
    const { index } = this.require();
    if (body.features !== undefined && body.codes !== undefined) throw new HttpProblem('ERR_SERVER_VALIDATION', `give ${what} as features or as codes, not both`);
    if (body.features !== undefined) {
      if (body.modality === undefined) throw new HttpProblem('ERR_SERVER_VALIDATION', "features need a modality ('image' or 'text')");
      return { modality: body.modality, features: this.features(body.modality, body.features) };
    }
    if (body.codes !== undefined) {
      if (body.modality !== undefined) throw new HttpProblem('ERR_SERVER_VALIDATION', 'codes take no modality');
      const codes = codesFromBase64(body.codes, index.bits);
      if (codes.count > this.limits.maxQueries) throw new HttpProblem('ERR_SERVER_VALIDATION', `${codes.count} codes; at most ${this.limits.maxQueries} per request`);
      return { codes };
    }
    throw new HttpProblem('ERR_SERVER_VALIDATION', `give ${what} as modality + features, or as codes`);
  }

  /** Checks k / radius / limit and runs the search through the batcher. */
  async search(queries: Queries, params: { k?: number; radius?: number; limit?: number }): Promise<{ head: Record<string, number>; result: ResultSlice }> {
    const { index } = this.require();
    const count = 'codes' in queries ? queries.codes.count : queries.features.rows;
    const { k, radius, limit } = params;
    if (k !== undefined && radius !== undefined) throw new HttpProblem('ERR_SERVER_VALIDATION', 'give k or radius, not both');
    if (k === undefined && radius === undefined) throw new HttpProblem('ERR_SERVER_VALIDATION', 'give k (top k) or radius (every item within it)');
    if (limit !== undefined && radius === undefined) fail('ERR_ASCMH_LIMIT', 'limit goes with radius');
    const perQuery = k ?? limit ?? this.limits.maxK;
    if (count * perQuery > this.maxResults) {
      throw new HttpProblem('ERR_SERVER_TOO_MANY_RESULTS', `${count} queries x ${perQuery} results is more than the ${this.maxResults} entries one request may ask for`);
    }
    if (k !== undefined) return { head: { bits: index.bits, k }, result: await this.batcher.search(queries, k) };
    if (radius! > index.bits) fail('ERR_ASCMH_RADIUS', `radius must be an integer in [0, ${index.bits}], got ${radius}`);
    return { head: { bits: index.bits, radius: radius!, limit: perQuery }, result: await this.batcher.searchRadius(queries, radius!, perQuery) };
  }

  /** Adds codes; returns the ids they got. */
  async add(codes: Codes, ids: BigInt64Array | undefined): Promise<BigInt64Array> {
    const { index } = this.require();
    if (ids !== undefined && ids.length !== codes.count) fail('ERR_ASCMH_IDS_LENGTH', `${ids.length} ids for ${codes.count} codes`);
    const done = await index.add(codes, ids);
    this.metrics.itemsAdded.inc(codes.count);
    if (ids) return ids;
    const out = new BigInt64Array(codes.count);
    for (let i = 0; i < codes.count; i++) out[i] = done.firstId! + BigInt(i);
    return out;
  }

  /** Removes ids; returns how many were present. */
  async remove(ids: BigInt64Array): Promise<number> {
    const { index } = this.require();
    const removed = await index.remove(ids);
    this.metrics.itemsRemoved.inc(removed);
    return removed;
  }

  /** The model, the index and the batching counters (GET /v1/stats). */
  stats(): ServiceStats {
    const { model, index } = this.require();
    const dimension = (m: Modality) => {
      try {
        return model.dimension(m);
      } catch {
        return 0;
      }
    };
    return {
      model: { method: model.method ?? 'unknown', bits: model.bits, dimensions: { image: dimension('image'), text: dimension('text') } },
      index: index.stats ? { ...(index.stats() as Record<string, number | string>) } : { size: index.size, bits: index.bits },
      batching: {
        enabled: this.batcher.enabled,
        windowMs: this.batcher.windowMs,
        maxBatch: this.batcher.maxBatch,
        ...this.batcher.totals,
      },
      uptimeSeconds: (Date.now() - this.started) / 1000,
    };
  }

  /** Readiness goes false (load balancers stop sending); requests are still served. */
  drain(): void {
    if (this.state === 'ready' || this.state === 'starting') this.state = 'draining';
  }

  /** The server is closing: new requests get 503. */
  close(): void {
    this.state = 'closing';
    this.metrics.close();
  }
}
