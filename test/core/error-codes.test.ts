// The ErrorCode union cannot go stale: it must equal the set of codes the native and TypeScript
// sources throw, and the README's table must list exactly those codes. (That a misspelt code does
// not type-check is tested by compiling a consumer: test/package/consumers.test.ts.)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/index.js';

const root = join(import.meta.dirname, '..', '..');
const DEFINITIONS = join(root, 'src', 'core', 'error-codes.ts');

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|cc|h|cpp)$/.test(name) && path !== DEFINITIONS) yield path;
  }
}

/** Codes written out in the sources, plus the LAPACK codes composed from check_info's suffix. */
function codesInSources(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'binding'))]) {
    const text = readFileSync(file, 'utf8');
    // A name ending in '_' is a prefix in a comment ("ERR_ASCMH_INDEX_*") or a composed code.
    for (const [code] of text.matchAll(/ERR_ASCMH_[A-Z0-9_]+/g)) if (!code.endsWith('_') && !found.has(code)) found.set(code, relative(root, file));
    for (const [, suffix] of text.matchAll(/check_info\([^;]*?"([A-Z_]+)"\)/g)) found.set(`ERR_ASCMH_LAPACK_${suffix}`, relative(root, file));
  }
  return found;
}

describe('error codes', () => {
  it('the ErrorCode union is exactly the set of codes the sources can throw', () => {
    const inSources = codesInSources();
    const declared = Object.keys(ERROR_CODES);
    expect(inSources.size).toBeGreaterThan(40);
    expect([...inSources.keys()].filter((c) => !declared.includes(c)).map((c) => `${c} (${inSources.get(c)})`)).toEqual([]);
    expect(declared.filter((c) => !inSources.has(c))).toEqual([]);
    for (const meaning of Object.values(ERROR_CODES)) expect(meaning.length).toBeGreaterThan(10);
  });

  it("the README's error table lists every code once, with the same meaning", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(ERR_ASCMH_[A-Z0-9_]+)` \| (.+) \|$/gm)].map(([, code, meaning]) => [code, meaning] as const);
    expect(rows.map(([code]) => code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, meaning] of rows) expect(meaning.replace(/\\\|/g, '|')).toBe(ERROR_CODES[code as ErrorCode]);
  });
});
