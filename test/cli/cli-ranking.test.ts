// eval --ranking and reproduce --rankings, run as a user would; the numbers are checked against
// the library's own experiment on the same data.
import { rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDataset, runExperiment } from '../../src/index.js';
import { selectRows } from '../../src/data/datasets.js';
import { run, syntheticFolder as makeFolder, userError } from '../helpers/cli.js';

/** A synthetic dataset folder, removed when the test finishes. */
function syntheticFolder(): string {
  const dir = makeFolder();
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SMALL = ['--image-anchors', '40', '--text-anchors', '40'];

describe('ascmh eval --ranking', () => {
  it('asymmetric: the JSON names the ranking and holds the mAP the library computes', async () => {
    const folder = syntheticFolder();
    for (const method of ['ascmh', 'batch'] as const) {
      const r = await run('eval', '--data', folder, '--bits', '16,32', '--seeds', '2', '--ranking', 'asymmetric', '--method', method, '--json', ...SMALL);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ method, ranking: 'asymmetric', protocol: 'train-codes' });
      const ds = await openDataset(folder);
      const train = selectRows(ds, ds.split.train), query = selectRows(ds, ds.split.query);
      const rows = await runExperiment({ train, query, bits: [16, 32], seeds: 2, protocol: 'train-codes', method, options: { imageAnchors: 40, textAnchors: 40 }, rankings: ['asymmetric'] });
      expect(out.results.map((x: { i2t: number }) => x.i2t)).toEqual(rows.map((x) => x.i2t));
      expect(out.results.map((x: { t2i: number }) => x.t2i)).toEqual(rows.map((x) => x.t2i));
    }
    const table = await run('eval', '--data', folder, '--bits', '16', '--seeds', '1', '--ranking', 'asymmetric', ...SMALL);
    expect(table.stdout).toMatch(/asymmetric ranking/);
  });

  it('hamming stays the default; an unknown ranking and --plot with asymmetric are usage errors', async () => {
    const folder = syntheticFolder();
    const r = await run('eval', '--data', folder, '--bits', '16', '--seeds', '1', '--json', ...SMALL);
    expect(JSON.parse(r.stdout).ranking).toBe('hamming');
    expect((await run('eval', '--data', folder, '--bits', '16', '--ranking', 'cosine')).code).toBe(2);
    expect(userError(await run('eval', '--data', folder, '--bits', '16', '--ranking', 'asymmetric', '--plot', '/tmp/x'))).toMatch(/--plot .*--ranking hamming/);
  });
});

describe('ascmh reproduce --rankings', () => {
  it('prints a Hamming and an asymmetric table per method from the same fits', async () => {
    const args = ['reproduce', '--data', syntheticFolder(), '--seeds', '1', '--bits', '16,32', '--paper', 'wiki', '--methods', 'ascmh,scratch', ...SMALL];
    const json = await run(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.rankings).toEqual(['hamming', 'asymmetric']);
    for (const m of out.methods) {
      expect(m.rankings.hamming).toEqual(m.results);
      expect(m.rankings.asymmetric).toHaveLength(2);
      // The same fits: the training times agree, the mAP differs.
      expect(m.rankings.asymmetric.map((c: { trainSeconds: number }) => c.trainSeconds)).toEqual(m.results.map((c: { trainSeconds: number }) => c.trainSeconds));
      expect(m.rankings.asymmetric[0].i2t.paper).toBe(m.results[0].i2t.paper);
    }
    const table = (await run(...args)).stdout;
    expect(table.match(/^ASCMH on .*asymmetric ranking/gm)).toHaveLength(1);
    expect(table.match(/^SCRATCH on .*asymmetric ranking/gm)).toHaveLength(1);
    expect(table.match(/^(ASCMH|SCRATCH) on /gm)).toHaveLength(4);
    const hammingOnly = (await run(...args, '--rankings', 'hamming')).stdout;
    expect(hammingOnly).not.toMatch(/asymmetric/);
    expect(userError(await run(...args, '--rankings', 'hamming,cosine'))).toMatch(/unknown ranking cosine/);
  });
});
