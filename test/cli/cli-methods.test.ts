// --method on train and eval, and reproduce's table per method, run as a user would.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH, DDASH, SCRATCH, loadModel } from '../../src/index.js';
import { PAPER_TABLE2_BASELINES } from '../../src/experiments/paper.js';
import { run, syntheticFolder, tempDir, userError } from '../helpers/cli.js';

const SMALL = ['--image-anchors', '40', '--text-anchors', '40'];

describe('ascmh train / eval --method', () => {
  it('trains BATCH and SCRATCH models that loadModel reads back as their classes; encode takes them', async () => {
    const data = syntheticFolder(), work = tempDir();
    for (const [method, cls] of [['batch', BATCH], ['scratch', SCRATCH]] as const) {
      const out = join(work, `${method}.ascmh`);
      const r = await run('train', '--data', data, '--bits', '16', '--method', method, '--out', out, ...SMALL);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`16-bit ${method.toUpperCase()} model`));
      const model = await loadModel(out);
      expect(model).toBeInstanceOf(cls);
      expect(model.options).toMatchObject({ imageAnchors: 40, textAnchors: 40 });
      const e = await run('encode', '--model', out, '--modality', 'text', '--input', join(data, 'txt.npy'), '--out', join(work, `${method}.npy`));
      expect(e.code, e.stderr).toBe(0);
    }
  });
  it('trains a DDASH model (no kernel flags; --iterations and --precision apply) that encode and search take', async () => {
    const data = syntheticFolder(), work = tempDir(), out = join(work, 'ddash.ascmh');
    const r = await run('train', '--data', data, '--bits', '16', '--method', 'ddash', '--iterations', '4', '--out', out, '--verbose');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/16-bit DDASH model/);
    expect(r.stderr).toMatch(/iteration 4: objective [0-9.e+]+, bits changed \d+/);
    const model = await loadModel(out);
    expect(model).toBeInstanceOf(DDASH);
    expect(model.options).toMatchObject({ iterations: 4, bits: 16 });
    const e = await run('encode', '--model', out, '--modality', 'image', '--input', join(data, 'img.npy'), '--out', join(work, 'codes.npy'));
    expect(e.code, e.stderr).toBe(0);
    const s = await run('search', '--model', out, '--modality', 'text', '--input', join(data, 'txt.npy'), '-k', '3', '--json');
    expect(s.code, s.stderr).toBe(0);
    expect(userError(await run('train', '--data', data, '--bits', '16', '--method', 'ddash', '--image-anchors', '40', '--out', out))).toMatch(/--image-anchors is an ASCMH option; DDASH takes --iterations, --precision/);
  });
  it('eval --method scratch --json names the method', async () => {
    const r = await run('eval', '--data', syntheticFolder(), '--bits', '16', '--seeds', '1', '--method', 'scratch', '--json', ...SMALL);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.method).toBe('scratch');
    expect(out.results[0].t2i).toBeGreaterThan(0);
  });
  it('an ASCMH-only flag with another method is a usage error; an unknown method too', async () => {
    const data = syntheticFolder();
    expect(userError(await run('eval', '--data', data, '--bits', '16', '--method', 'batch', '--lambda-text', '2'))).toMatch(/--lambda-text is an ASCMH option/);
    const r = await run('eval', '--data', data, '--bits', '16', '--method', 'itq');
    expect(r.code).toBe(2);
  });
});

describe('ascmh reproduce --methods', () => {
  it("prints a table per method with the ASCMH paper's row for it", async () => {
    const args = ['reproduce', '--data', syntheticFolder(), '--seeds', '1', '--bits', '16,32', '--paper', 'wiki', '--methods', 'ascmh,batch,scratch', ...SMALL];
    const json = await run(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.methods.map((m: { method: string }) => m.method)).toEqual(['ascmh', 'batch', 'scratch']);
    expect(out.results).toEqual(out.methods[0].results);
    expect(out.methods[1].results[0].i2t.paper).toBe(PAPER_TABLE2_BASELINES.batch.wiki.i2t[0]);
    expect(out.methods[2].results[1].t2i.paper).toBe(PAPER_TABLE2_BASELINES.scratch.wiki.t2i[1]);
    const table = (await run(...args)).stdout;
    expect(table).toMatch(/^ASCMH on .* \(paper: Wiki\)/m);
    expect(table).toMatch(/^BATCH on .* \(paper: Wiki, the ASCMH paper's row for it\)/m);
    expect(table).toMatch(/^SCRATCH on /m);
    expect(table).toContain(PAPER_TABLE2_BASELINES.scratch.wiki.i2t[0].toFixed(4));
  });
  it('prints a DDASH table that says no published numbers exist instead of a paper row', async () => {
    const args = ['reproduce', '--data', syntheticFolder(), '--seeds', '1', '--bits', '16', '--paper', 'wiki', '--methods', 'ddash', '--iterations', '3'];
    const json = await run(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    const cell = JSON.parse(json.stdout).methods[0].results[0];
    expect(cell.i2t).toMatchObject({ paper: null, difference: null });
    expect(cell.t2i.ours).toBeGreaterThan(0);
    const table = (await run(...args)).stdout;
    expect(table).toMatch(/^DDASH on .* \(no published numbers for DDASH on Wiki\)/m);
    expect(table).toMatch(/paper\s+none published/);
    expect(table).not.toMatch(/difference/);
    expect(userError(await run('reproduce', '--data', syntheticFolder(), '--seeds', '1', '--methods', 'ddash', '--image-anchors', '40'))).toMatch(/--image-anchors applies to none of the methods ddash/);
  });
});
