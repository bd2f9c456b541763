// Running the built command line as a user would (needs dist/, which `npm test` builds first).
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { datasets } from '../../src/index.js';
import { encodeNpy } from '../../src/io/npy.js';
import { fileScratchDir } from './temp.js';

export const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the CLI and sends `signal` once stderr matches `when`. */
export function runAndSignal(args: string[], when: RegExp, signal: NodeJS.Signals = 'SIGINT'): Promise<CliResult & { signalled: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', signalled = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!signalled && when.test(stderr)) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, signalled }));
  });
}

export function tempDir(): string {
  return fileScratchDir('ascmh-cli-');
}

/** A dataset folder of synthetic data: 400 training pairs, 100 queries. */
export function syntheticFolder(n = 500, seed = 2): string {
  const dir = tempDir();
  const d = datasets.synthetic({ n, classes: 5, imageDim: 16, textDim: 6, seed });
  writeFileSync(join(dir, 'img.npy'), encodeNpy(d.image.data, [n, 16]));
  writeFileSync(join(dir, 'txt.npy'), encodeNpy(d.text.data, [n, 6]));
  writeFileSync(join(dir, 'labels.npy'), encodeNpy(d.labels.data, [n, 5]));
  const train = Math.round(n * 0.8);
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: { start: 0, stop: train }, query: { start: train, stop: n }, database: { start: 0, stop: train } }));
  return dir;
}

/**
 * The user-error contract: exit code 2 and exactly one error line on stderr, no stack trace. The
 * progress lines of a phase that started before the error (`train: reading ...`) may precede it.
 */
export function userError(r: CliResult): string {
  if (r.code !== 2) throw new Error(`expected exit code 2, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n').filter((line) => !/^train: (reading |kernel features,|feature statistics,)/.test(line));
  if (lines.length !== 1 || /\n\s+at /.test(r.stderr)) throw new Error(`expected one stderr line, got:\n${r.stderr}`);
  return lines[0];
}
