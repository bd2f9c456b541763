import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/**
 * Every error this library throws carries a stable `code` that callers can switch on (see
 * {@link ERROR_CODES} for what each means). A cancelled call rejects with an AscmhError named
 * `AbortError`, code `ERR_ASCMH_CANCELLED`, and, when an AbortSignal caused it, `cause` set to
 * the signal's `reason`, as Node's own APIs do.
 */
export class AscmhError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = code === 'ERR_ASCMH_CANCELLED' ? 'AbortError' : 'AscmhError';
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new AscmhError(code, message);
}

/** The AbortError of a call that `signal` cancelled: our code, and the signal's reason as `cause`. */
export function abortError(message: string, signal?: AbortSignal): AscmhError {
  return new AscmhError('ERR_ASCMH_CANCELLED', message, signal?.aborted ? { cause: signal.reason } : undefined);
}

/** A cancellation seen by native code becomes the AbortError of `signal` (its reason as `cause`). */
export function withAbortReason(err: unknown, signal: AbortSignal | undefined): unknown {
  if (err instanceof AscmhError && err.code === 'ERR_ASCMH_CANCELLED' && signal?.aborted && err.cause === undefined) {
    const wrapped = abortError(err.message, signal);
    wrapped.stack = err.stack;
    return wrapped;
  }
  return err;
}

/** ERR_ASCMH_MISSING_DEPENDENCY: `what` needs the optional package `name`, which is not installed. */
export function missingDependency(name: string, what: string): never {
  fail('ERR_ASCMH_MISSING_DEPENDENCY', `${what} needs the optional package ${name}, which is not installed: npm install ${name}`);
}

/** Runs a native call; its errors become AscmhErrors with their codes. */
export function callNative<T>(body: () => T): T {
  try {
    return body();
  } catch (err) {
    throw wrapNativeError(err);
  }
}

/** callNative for native calls that return a Promise (the call itself may also throw). */
export async function callNativeAsync<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw wrapNativeError(err);
  }
}

/** Errors from the native addon arrive as plain Errors with a `code`; give them our class. */
export function wrapNativeError(err: unknown): Error {
  if (err instanceof AscmhError) return err;
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    return new AscmhError((err as unknown as { code: ErrorCode }).code, err.message);
  }
  return err instanceof Error ? err : new Error(String(err));
}
