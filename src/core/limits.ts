import { callNative, fail } from './errors.js';
import { native } from './native.js';

/**
 * The memory budget that every request sized by its arguments is checked against before anything
 * is allocated (search results, metric tables, training features, id lists). A request above it
 * throws ERR_ASCMH_TOO_LARGE. Default: half the machine's physical memory.
 */
export function memoryLimit(): number {
  return native._internal.memoryLimit();
}

/** Sets the budget of {@link memoryLimit} in bytes for this process; 0 restores the default. */
export function setMemoryLimit(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) fail('ERR_ASCMH_OPTION', `the memory limit must be a whole number of bytes >= 0, got ${String(bytes)}`);
  callNative(() => native._internal.setMemoryLimit(bytes));
}

/**
 * Threads this process uses for native work: the shared pool (search, evaluation, feature
 * passes) and BLAS. The default is every core; `ASCMH_THREADS=n` in the environment sets it at
 * load. With node:cluster, give each of N workers `cores / N` so they do not oversubscribe the CPU.
 */
export function setThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) fail('ERR_ASCMH_OPTION', `threads must be an integer from 1 to 256, got ${String(threads)}`);
  callNative(() => native.setThreads(threads));
}

/** The thread counts in effect: `{ pool, blas }`. */
export function threads(): { pool: number; blas: number } {
  const info = native.buildInfo();
  return { pool: info.poolThreads, blas: info.blasThreads };
}
