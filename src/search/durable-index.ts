// A Hamming index kept durably in a directory: a snapshot file plus a write-ahead log.
import { AscmhError, type ErrorCode, callNative, fail } from '../core/errors.js';
import { type Codes, validateCodes } from '../core/matrix.js';
import { native } from '../core/native.js';
import { checkPath } from '../core/paths.js';
import { HammingIndex, type AsymmetricSearchOptions, type AsymmetricSearchResult, type Projections, type HammingCodes, type HammingIds, type HammingRadiusOptions, type HammingSearchOptions } from './hamming-index.js';
import type { IdType, RadiusResult, TopKResult } from './search-results.js';

/**
 * When an add or remove counts as done:
 * - `'fsync'`: its log record is on disk (fdatasync): it survives a power loss.
 * - `'os'`: the record is written to the operating system: it survives the process being killed,
 *   not a crash of the machine.
 * - `'none'`: nothing is logged; only {@link DurableHammingIndex.checkpoint} persists.
 */
export type Durability = 'fsync' | 'os' | 'none';

/** How DurableHammingIndex.open opens or creates a directory. */
export interface DurableOpenOptions {
  durability?: Durability;
  /** Code length for a new index; an existing one must match when given. */
  bits?: number;
}

/** Size, code length, durability and log state of a durable index. */
export interface DurableStats {
  size: number;
  bits: number;
  durability: Durability;
  /** Sequence number of the last operation prepared. */
  lastSequence: number;
  /** Sequence number the current snapshot covers. */
  snapshotSequence: number;
  logBytes: number;
  /** Log records replayed when the index was opened. */
  replayed: number;
  /** Operations not yet done. */
  pending: number;
  /** Groups written to the log since open: each one write (and with 'fsync' one fdatasync). */
  logWrites: number;
}

interface NativeDurable {
  bits: number;
  prepareAdd(codes: Codes, ids?: HammingIds): number;
  prepareRemove(ids: HammingIds): number;
  prepareCheckpoint(): number;
  commit(): void;
  close(): Promise<void>;
  share(view: unknown): void;
  stats(): Omit<DurableStats, 'size' | 'bits' | 'durability'>;
}

type Waiter = { resolve: (value: unknown) => void; reject: (error: unknown) => void; kind: 'add' | 'remove' | 'checkpoint'; count: number; automatic: boolean };

/**
 * A durable mutable index in a directory (a snapshot plus a write-ahead log; see the README's
 * "Durable indexes"). `add` and `remove` resolve once their log record is written under the
 * chosen durability and the index shows them; operations started in the same tick share one write
 * and one fsync (group commit). Searches see only operations that are done. One process at a time
 * may open a directory (`ERR_ASCMH_INDEX_LOCKED` otherwise).
 */
export class DurableHammingIndex {
  readonly #native: NativeDurable;
  readonly #view: HammingIndex;
  readonly durability: Durability;
  readonly directory: string;
  readonly #waiting = new Map<number, Waiter>();
  #commitQueued = false;
  #closed = false;

  private constructor(directory: string, durability: Durability, bits: number) {
    this.directory = directory;
    this.durability = durability;
    this.#native = callNative(() => new native.DurableIndex(directory, durability, bits, this.#done));
    this.#view = HammingIndex.wrapNative((view) => this.#native.share(view));
  }

  /**
   * Opens the index in `directory`, replaying its log after the newest snapshot and cutting a torn
   * or damaged tail at the last good record. With `bits`, a missing or empty directory becomes a
   * new index.
   */
  static async open(directory: string, options: DurableOpenOptions = {}): Promise<DurableHammingIndex> {
    checkPath(directory, 'index directory');
    if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'open options must be an object');
    const durability = options.durability ?? 'fsync';
    if (durability !== 'fsync' && durability !== 'os' && durability !== 'none') fail('ERR_ASCMH_OPTION', `durability must be 'fsync', 'os' or 'none', got ${String(durability)}`);
    const bits = options.bits ?? 0;
    if (!Number.isInteger(bits) || (bits !== 0 && (bits < 8 || bits > 1024))) fail('ERR_ASCMH_BITS', `bits must be an integer from 8 to 1024, got ${String(options.bits)}`);
    return new DurableHammingIndex(directory, durability, bits);
  }

  /** Code length. */
  get bits(): number {
    return this.#view.bits;
  }

  /** Items in the index. */
  get size(): number {
    return this.#view.size;
  }

  /** Adds codes (automatic ids when `ids` is omitted). Resolves with the first automatic id (null for given ids). */
  add(codes: HammingCodes, ids?: HammingIds): Promise<{ count: number; firstId: bigint | null }> {
    return this.#start(() => {
      const checked = validateCodes(codes, 'codes', this.bits);
      if (ids !== undefined && (ids === null || typeof (ids as { length?: unknown }).length !== 'number' || ids.length !== checked.count)) {
        fail('ERR_ASCMH_IDS_LENGTH', `${String((ids as { length?: unknown } | null)?.length)} ids for ${checked.count} codes`);
      }
      return [this.#native.prepareAdd(checked, ids), 'add', checked.count, ids === undefined];
    }) as Promise<{ count: number; firstId: bigint | null }>;
  }

  /** Removes the items with these ids; resolves with how many were present. */
  remove(ids: HammingIds): Promise<number> {
    return this.#start(() => [this.#native.prepareRemove(ids), 'remove', 0, false]) as Promise<number>;
  }

  /** Writes a new snapshot (temporary file, fsync, rename) and drops the log it covers. */
  checkpoint(): Promise<void> {
    return this.#start(() => [this.#native.prepareCheckpoint(), 'checkpoint', 0, false]) as Promise<void>;
  }

  // Prepares an operation now (so operations keep their call order) and returns its Promise; a
  // refusal is a rejected Promise, not a throw.
  #start(prepare: () => [number, Waiter['kind'], number, boolean]): Promise<unknown> {
    let prepared: [number, Waiter['kind'], number, boolean];
    try {
      prepared = callNative(prepare);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#wait(...prepared);
  }

  /** The code of an id (its bytes), or undefined when absent. */
  get(id: number | bigint): Uint8Array | undefined {
    return this.#view.get(id);
  }

  /** Top-k by Hamming distance on the calling thread (see HammingIndex.search). */
  search<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingSearchOptions & { idType?: T }): TopKResult<T> {
    return this.#view.search(queries, options);
  }

  /** Top-k on the native pool (see HammingIndex.searchAsync). */
  searchAsync<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingSearchOptions & { idType?: T }): Promise<TopKResult<T>> {
    return this.#view.searchAsync(queries, options);
  }

  /** Every item within a Hamming radius (see HammingIndex.searchRadius). */
  searchRadius<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingRadiusOptions & { idType?: T }): RadiusResult<T> {
    return this.#view.searchRadius(queries, options);
  }

  /** searchRadius on the native pool. */
  searchRadiusAsync<T extends IdType = 'bigint'>(queries: HammingCodes, options: HammingRadiusOptions & { idType?: T }): Promise<RadiusResult<T>> {
    return this.#view.searchRadiusAsync(queries, options);
  }

  /** Top-k by asymmetric score (see HammingIndex.searchAsymmetric). */
  searchAsymmetric(projections: Projections, options: AsymmetricSearchOptions): AsymmetricSearchResult {
    return this.#view.searchAsymmetric(projections, options);
  }

  /** searchAsymmetric on the native pool. */
  searchAsymmetricAsync(projections: Projections, options: AsymmetricSearchOptions): Promise<AsymmetricSearchResult> {
    return this.#view.searchAsymmetricAsync(projections, options);
  }

  /** Size, log and snapshot state; refused after close(). */
  stats(): DurableStats {
    if (this.#closed) fail('ERR_ASCMH_INDEX_CLOSED', `${this.directory} is closed`);
    return { size: this.size, bits: this.bits, durability: this.durability, ...this.#native.stats() };
  }

  /** Finishes the operations in flight, then releases the directory. Searches keep working on what was there. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    await this.#native.close();
  }

  #wait(ticket: number, kind: Waiter['kind'], count: number, automatic: boolean): Promise<unknown> {
    const promise = new Promise((resolve, reject) => this.#waiting.set(ticket, { resolve, reject, kind, count, automatic }));
    if (!this.#commitQueued) {
      // Every operation prepared in this tick goes into one group: one write, one fsync.
      this.#commitQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return promise;
  }

  #flush(): void {
    this.#commitQueued = false;
    if (!this.#closed || this.#waiting.size) this.#native.commit();
  }

  readonly #done = (tickets: Float64Array, codes: (string | null)[], messages: string[], values: Float64Array, firsts: BigInt64Array): void => {
    for (let i = 0; i < tickets.length; i++) {
      const waiter = this.#waiting.get(tickets[i]);
      if (!waiter) continue;
      this.#waiting.delete(tickets[i]);
      if (codes[i] !== null) waiter.reject(new AscmhError(codes[i] as ErrorCode, messages[i]));
      else if (waiter.kind === 'remove') waiter.resolve(values[i]);
      else if (waiter.kind === 'add') waiter.resolve({ count: waiter.count, firstId: waiter.automatic && waiter.count > 0 ? firsts[i] : null });
      else waiter.resolve(undefined);
    }
  };
}
