/** Every error this library throws carries a stable `code` that callers can switch on. */
export class AscmhError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = code === 'ERR_ASCMH_CANCELLED' ? 'AbortError' : 'AscmhError';
    this.code = code;
  }
}

export function fail(code: string, message: string): never {
  throw new AscmhError(code, message);
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
    return new AscmhError((err as unknown as { code: string }).code, err.message);
  }
  return err instanceof Error ? err : new Error(String(err));
}
