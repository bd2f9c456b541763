// Runs in each test file's process before its tests: the file gets its own temporary folder
// (TMPDIR, so os.tmpdir() and every process the file starts use it), and its tests fail if they
// leave anything there. The folder lives in the run's folder (test/helpers/global-setup.ts).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const runDir = process.env.ASCMH_TEST_RUN_DIR;
if (runDir) {
  const dir = mkdtempSync(join(runDir, 'file-'));
  process.env.TMPDIR = dir;
  // Registered first, so it runs after the file's own afterAll hooks.
  afterAll(() => {
    const left = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`this test file left ${left.length} temporary entries behind: ${left.slice(0, 20).join(', ')}`);
  });
}
