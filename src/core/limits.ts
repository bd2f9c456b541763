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
