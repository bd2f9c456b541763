// docs/serving.md's "Try it" session run as written in a project with the packed package installed
// (test/helpers/consumer.ts): the same commands on a free port instead of 8080. The answers must be
// the ones the page shows, and equal what the library computes in process from the same model.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/index.js';
import { packedConsumer, repoRoot, runProgram } from '../helpers/consumer.js';

const page = readFileSync(join(repoRoot, 'docs', 'serving.md'), 'utf8');
const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

describe.skipIf(!hasCurl)('docs/serving.md (needs curl)', () => {
  it('the "Try it" session runs as written and answers what the page shows', async () => {
    const at = page.indexOf('\n### Try it\n');
    expect(at).toBeGreaterThanOrEqual(0);
    const block = page.slice(at).match(/\n```sh\n([\s\S]*?)\n```\n/)![1];
    // What the page says each curl prints, in order.
    const shown = [...block.matchAll(/^# (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));
    expect(shown).toHaveLength(2);

    const consumer = await packedConsumer();
    const dir = join(consumer.dir, 'serving-session');
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(consumer.dir, 'node_modules'), join(dir, 'node_modules')); // "a project with ascmh installed"
    const port = await freePort();
    expect(block.match(/8080/g)!.length).toBeGreaterThanOrEqual(4);
    writeFileSync(join(dir, 'session.sh'), block.replaceAll('8080', String(port)));
    // GNU timeout signals its whole process group, so a hung session takes its server with it.
    // The page's second distance comes from a model trained with OpenBLAS's Haswell kernels; other
    // x86 kernels (Sapphire Rapids' own, picked when OPENBLAS_CORETYPE is unset) round differently.
    const blasCore = process.arch === 'x64' && !process.env.OPENBLAS_CORETYPE ? { OPENBLAS_CORETYPE: 'Haswell' } : {};
    const r = await runProgram('timeout', ['-k', '5', '180', 'bash', 'session.sh'], { cwd: dir, env: { ...process.env, ...blasCore } });
    expect(r.code, r.stderr).toBe(0); // the last command is `wait $SERVER`: SIGTERM made it exit 0

    // The server's startup line (as the page shows it), then the answers: curl -s prints them
    // without a newline, so the JSON documents are split where one ends and the next begins.
    const [startup, ...rest] = r.stdout.split('\n');
    const shownStartup = page.match(/It prints one line once the index is open and its log replayed:\n\n```\n(.*)\n```/)![1];
    expect(startup).toBe(shownStartup.replace('8080', String(port)));
    const answers = rest.join('\n').trim().split(/(?<=\})(?=\{)/).map((s) => JSON.parse(s));
    expect(answers).toEqual(shown);

    // The same answer from the library: encode the rows with the saved model and rank by Hamming distance.
    const rows = [...block.matchAll(/"features":(\[\[[^']*?\]\])/g)].map((m) => JSON.parse(m[1]) as number[][]);
    const [added, queries] = rows;
    const model = await loadModel(join(dir, 'm.ascmh'));
    const matrix = (x: number[][]) => ({ rows: x.length, cols: x[0].length, data: Float64Array.from(x.flat()) });
    const items = model.encode('text', matrix(added));
    const query = model.encode('text', matrix(queries));
    const words = query.data.length / query.count;
    const popcount = (x: number) => { let d = 0; for (; x; x >>= 1) d += x & 1; return d; };
    const distance = (j: number) => { let d = 0; for (let t = 0; t < words; t++) d += popcount(query.data[t] ^ items.data[j * words + t]); return d; };
    const ranked = added.map((_, j) => ({ id: j, d: distance(j) })).sort((a, b) => a.d - b.d || a.id - b.id);
    expect(answers[0]).toEqual({ count: added.length, ids: added.map((_, j) => j) });
    expect(answers[1]).toEqual({ bits: model.bits, k: 2, results: [{ ids: ranked.map((x) => x.id), distances: ranked.map((x) => x.d) }] });
  });
});
