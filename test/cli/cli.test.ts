// ascmh eval / reproduce / demo / --help / --version, run as a user would.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_DATA } from '../helpers/fixtures.js';
import { run, syntheticFolder, tempDir, userError } from '../helpers/cli.js';
import { PAPER_TABLE2 } from '../../src/experiments/paper.js';

const SMALL = ['--image-anchors', '100', '--text-anchors', '100'];

describe('ascmh eval', () => {
  it('prints exactly one JSON object with the documented fields', async () => {
    const dir = syntheticFolder();
    const { code, stdout } = await run('eval', '--data', dir, '--bits', '16,32', '--seeds', '2', '--protocol', 'train-codes', '--json', ...SMALL);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out.protocol).toBe('train-codes');
    expect(out.results.map((r: { bits: number }) => r.bits)).toEqual([16, 32]);
    for (const r of out.results) {
      expect(Object.keys(r).sort()).toEqual(['bits', 'i2t', 'i2tStd', 't2i', 't2iStd', 'trainSeconds']);
      expect(r.i2t).toBeGreaterThan(0.2);
      expect(r.t2i).toBeGreaterThan(0.2);
    }
  });

  it('--plot writes the four figures and their data; the curves agree with mAP-level facts', async () => {
    const dir = syntheticFolder();
    const plots = join(tempDir(), 'figures');
    const { code, stdout, stderr } = await run('eval', '--data', dir, '--bits', '16,32', '--seeds', '1', '--protocol', 'encoded', '--plot', plots, '--plot-format', 'svg,png', ...SMALL);
    expect(code, stderr).toBe(0);
    const files = ['precision-at-n-image-to-text.svg', 'precision-at-n-text-to-image.svg', 'precision-recall-image-to-text.svg', 'precision-recall-text-to-image.svg'];
    const pngs = files.map((f) => f.replace('.svg', '.png'));
    expect(readdirSync(plots).sort()).toEqual(['curves.json', ...files, ...pngs].sort());
    for (const f of pngs) {
      const png = readFileSync(join(plots, f));
      expect(png.subarray(0, 16)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])); // signature, IHDR
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 840]);
      expect(stdout).toContain(`wrote ${join(plots, f)}`);
    }
    for (const f of files) {
      const svg = readFileSync(join(plots, f), 'utf8');
      expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain('>encoded protocol, mean of 1 seed</text>');
      expect(svg).toContain('class="series-markers"');
      expect(svg).toContain('16 bits');
      expect(svg).toContain('32 bits');
      expect(svg).toMatch(f.includes('recall') ? />Recall</ : />N \(items retrieved\)</);
      expect(stdout).toContain(`wrote ${join(plots, f)}`);
    }
    const curves = JSON.parse(readFileSync(join(plots, 'curves.json'), 'utf8'));
    expect(curves.protocol).toBe('encoded');
    for (const r of curves.results) {
      const { ns, precision, recall } = r.i2t.topN;
      expect(ns[0]).toBe(1);
      expect(ns.at(-1)).toBe(400); // the database size
      expect(precision).toHaveLength(ns.length);
      // Recall of the whole database is 1 for queries that have a relevant item (all do here).
      expect(recall.at(-1)).toBeCloseTo(1, 12);
      // Radius = bits retrieves everything: recall 1.
      expect(r.t2i.radius.recall).toHaveLength(r.bits + 1);
      expect(r.t2i.radius.recall.at(-1)).toBeCloseTo(1, 12);
    }
  });

  it('a folder that is not a dataset: one line on stderr naming the file, exit 2', async () => {
    const line = userError(await run('eval', '--data', tmpdir(), '--bits', '16', '--seeds', '1'));
    expect(line).toMatch(/img\.npy/);
  });

  it('bad option values are a usage error, exit 2', async () => {
    const r = await run('eval', '--data', '.', '--bits', '7');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--bits/);
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

describe('ascmh reproduce', () => {
  it('lays out the paper\'s Table 2 with the paper\'s numbers and the difference', async () => {
    const dir = syntheticFolder();
    const args = ['reproduce', '--data', dir, '--seeds', '2', '--paper', 'wiki', ...SMALL];
    const json = await run(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.results.map((r: { bits: number }) => r.bits)).toEqual([16, 32, 64, 128]);
    out.results.forEach((r: { i2t: { ours: number; paper: number; difference: number } }, g: number) => {
      expect(r.i2t.paper).toBe(PAPER_TABLE2.wiki.i2t[g]);
      expect(r.i2t.difference).toBeCloseTo(r.i2t.ours - r.i2t.paper, 12);
    });
    const table = await run(...args);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ASCMH on ascmh-cli-\w+ \(paper: Wiki\), mAP@all, train-codes protocol, mean of 2 seed\(s\)$/);
    expect(lines[1]).toMatch(/^Task\s+Row\s+16 bits\s+32 bits\s+64 bits\s+128 bits$/);
    expect(lines[2]).toMatch(/^Image->Text\s+ours(\s+0\.\d{4}){4}$/);
    expect(lines[3]).toBe(`${''.padEnd(13)}${'paper'.padEnd(12)}${PAPER_TABLE2.wiki.i2t.map((v) => v.toFixed(4).padStart(9)).join('')}`);
    const ours = lines[2].trim().split(/\s+/).slice(2).map(Number);
    const diff = lines[4].trim().split(/\s+/).slice(1).map(Number);
    diff.forEach((d, g) => expect(d).toBeCloseTo(ours[g] - PAPER_TABLE2.wiki.i2t[g], 3));
    expect(lines[5]).toMatch(/^Text->Image\s+ours/);
  });

  it.skipIf(!existsSync(join(SHARED_DATA, 'wiki')))('names the paper\'s dataset from the folder (needs ../shared/data/wiki)', async () => {
    const r = await run('reproduce', '--data', join(SHARED_DATA, 'wiki'), '--seeds', '1', '--bits', '16', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.paperDataset).toBe('wiki');
    expect(Math.abs(out.results[0].t2i.difference)).toBeLessThan(0.05);
  });
});

describe('ascmh demo, --help and --version', () => {
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

  it('--version names the package and the native build', async () => {
    const { stdout } = await run('--version');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(stdout).toMatch(new RegExp(`^${pkg.version.replace(/\./g, '\\.')} \\(native: OpenBLAS .*popcount (popcnt|generic|avx2|avx512)\\)`));
  });

  it('--help lists every command, and each command documents its options', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const command of ['demo', 'train', 'encode', 'search', 'eval', 'reproduce']) expect(top.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    const expected: Record<string, string[]> = {
      train: ['--data', '--image', '--text', '--labels', '--bits', '--seed', '--out', '--quiet', '--verbose', '--lambda-image', '--image-train-var'],
      encode: ['--model', '--modality', '--input', '--var', '--out', '--batch-rows'],
      search: ['--model', '--database', '--modality', '--input', '--codes', '--k', '--radius', '--limit', '--json'],
      eval: ['--data', '--bits', '--seeds', '--protocol', '--json', '--plot'],
      reproduce: ['--data', '--seeds', '--paper', '--json'],
    };
    for (const [command, options] of Object.entries(expected)) {
      const help = await run(command, '--help');
      expect(help.code).toBe(0);
      for (const option of options) expect(help.stdout, `${command} ${option}`).toContain(option);
    }
  });
});
