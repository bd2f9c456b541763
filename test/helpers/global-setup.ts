// Runs once around the whole suite: the run gets a private temporary folder (TMPDIR), inside which
// each test file gets its own (test/helpers/setup-file.ts, which fails a file that leaves anything
// behind). A private folder keeps other runs on the same machine out of the check.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_ENTRIES } from './run-temp.js';

export default function setup(): () => void {
  const runDir = mkdtempSync(join(tmpdir(), 'ascmh-vitest-'));
  process.env.TMPDIR = runDir;
  process.env.ASCMH_TEST_RUN_DIR = runDir;
  return () => {
    // Fixtures shared by several test files (the packed consumer project) are the run's to remove.
    for (const name of SHARED_ENTRIES) rmSync(join(runDir, name), { recursive: true, force: true });
    const left = readdirSync(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (left.length > 0) {
      // A teardown error does not change vitest's exit code; this does.
      console.error(`ascmh tests: ${left.length} temporary entries were left behind: ${left.slice(0, 20).join(', ')}`);
      process.exitCode = 1;
    }
  };
}
