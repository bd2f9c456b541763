import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/** A fresh temporary folder, removed when the current test finishes (call it inside a test). */
export function scratchDir(prefix = 'ascmh-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const forFile: string[] = [];
// Registered when a test file imports this module: it runs after that file's last test.
afterAll(() => {
  for (const dir of forFile.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder that lives until the test file finishes (module scope, beforeAll, or tests). */
export function fileScratchDir(prefix = 'ascmh-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  forFile.push(dir);
  return dir;
}
