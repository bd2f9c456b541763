// The ascmh command line, run as a user would (needs the compiled dist/, which `npm test` builds).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { datasets } from '../src/index.js';
import { encodeNpy } from '../src/npy.js';
import { SHARED_DATA } from './fixtures.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

function syntheticFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ascmh-cli-'));
  const d = datasets.synthetic({ n: 500, classes: 5, imageDim: 16, textDim: 6, seed: 2 });
  writeFileSync(join(dir, 'img.npy'), encodeNpy(d.image.data, [500, 16]));
  writeFileSync(join(dir, 'txt.npy'), encodeNpy(d.text.data, [500, 6]));
  writeFileSync(join(dir, 'labels.npy'), encodeNpy(d.labels.data, [500, 5]));
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: { start: 0, stop: 400 }, query: { start: 400, stop: 500 }, database: { start: 0, stop: 400 } }));
  return dir;
}

describe('ascmh eval', () => {
  it('prints exactly one JSON object with the documented fields', async () => {
    const dir = syntheticFolder();
    const { code, stdout } = await run('eval', '--data', dir, '--bits', '16,32', '--seeds', '2', '--protocol', 'train-codes', '--json', '--image-anchors', '100', '--text-anchors', '100');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out.protocol).toBe('train-codes');
    expect(out.results.map((r: { bits: number }) => r.bits)).toEqual([16, 32]);
    for (const r of out.results) {
      for (const k of ['i2t', 't2i', 'i2tStd', 't2iStd', 'trainSeconds']) expect(typeof r[k]).toBe('number');
      expect(r.i2t).toBeGreaterThan(0.2);
      expect(r.t2i).toBeGreaterThan(0.2);
    }
  });
  it('a folder that is not a dataset: one line on stderr naming the file, exit 2', async () => {
    const { code, stderr } = await run('eval', '--data', tmpdir(), '--bits', '16', '--seeds', '1');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/img\.npy/);
  });
  it('bad option values are refused with a usage error', async () => {
    const { code, stderr } = await run('eval', '--data', '.', '--bits', '7');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/bits/);
  });
  it.skipIf(!existsSync(join(SHARED_DATA, 'wiki')))('runs on the real Wiki set (needs ../shared/data/wiki)', async () => {
    const { code, stdout } = await run('eval', '--data', join(SHARED_DATA, 'wiki'), '--bits', '32', '--seeds', '1', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(stdout).results[0];
    expect(JSON.parse(stdout).dataset).toBe('wiki');
    expect(r.t2i).toBeGreaterThan(0.7);
    expect(r.i2t).toBeGreaterThan(0.33);
  });
});

describe('ascmh demo and --version', () => {
  it('the demo trains, encodes, searches and prints mAP for both protocols', async () => {
    const { code, stdout } = await run('demo', '--n', '800', '--queries', '150', '--bits', '16,32');
    expect(code).toBe(0);
    expect(stdout).toMatch(/protocol train-codes/);
    expect(stdout).toMatch(/protocol encoded/);
    expect(stdout.match(/^\s+(16|32)\s+0\.\d{4}\s+0\.\d{4}/gm)).toHaveLength(4);
    expect(stdout).toMatch(/search: 150 image queries, top 10 of 650 codes \(32 bits/);
    expect(stdout.match(/image query \d \[classes [\d,]+\] -> texts( \d+\(d=\d+(, relevant)?\)){5}/g)).toHaveLength(3);
    const precision = Number(/precision of the top 10 over all queries: (0\.\d+)/.exec(stdout)![1]);
    expect(precision).toBeGreaterThan(0.3);
  });
  it('--version names the native build', async () => {
    const { stdout } = await run('--version');
    expect(stdout).toMatch(/^\d+\.\d+\.\d+ \(native: OpenBLAS .*popcount (popcnt|generic|avx2)\)/);
  });
});
