import { fail } from './errors.js';

/**
 * A file path from the caller: a non-empty string without NUL bytes. The C library stops at the
 * first NUL, so `'a\0.b'` would silently become `'a'`.
 */
export function checkPath(path: unknown, what = 'path'): string {
  if (typeof path !== 'string') fail('ERR_ASCMH_PATH', `${what} must be a string, got ${path === null ? 'null' : typeof path}`);
  if (path.length === 0) fail('ERR_ASCMH_PATH', `${what} must not be empty`);
  if (path.includes('\0')) fail('ERR_ASCMH_PATH', `${what} contains a NUL byte: ${JSON.stringify(path)}`);
  return path;
}
