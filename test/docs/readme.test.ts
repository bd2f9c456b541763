// README code run as written against the packed package (test/helpers/consumer.ts), with a few
// lines appended that check what the block computed. Every other block is marked in the README as
// not run, which the first test checks.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASCMH } from '../../src/index.js';
import { readNpy } from '../../src/io/npy.js';
import { packedConsumer, repoRoot, runProgram, sharedDir } from '../helpers/consumer.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The first fenced block of `lang` after the heading `heading`. */
function blockAfter(heading: string, lang: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const match = readme.slice(at).match(new RegExp('\\n```' + lang + '\\n([\\s\\S]*?)\\n```\\n'));
  expect(match, `a ${lang} block after ${heading}`).not.toBeNull();
  return match![1];
}

/** Continues `first` with `next`: next's imports from 'ascmh' keep only the names first lacks. */
function continued(first: string, next: string): string {
  const imported = new Set([...first.matchAll(/^import \{([^}]*)\} from 'ascmh';$/gm)].flatMap((m) => m[1].split(',').map((n) => n.trim())));
  const rest = next.replace(/^import \{([^}]*)\} from 'ascmh';$/gm, (_, names: string) => {
    const fresh = names.split(',').map((n) => n.trim()).filter((n) => n && !imported.has(n));
    return fresh.length ? `import { ${fresh.join(', ')} } from 'ascmh';` : '';
  });
  return `${first}\n${rest}`;
}

async function runModule(name: string, source: string): Promise<Record<string, unknown>> {
  const consumer = await packedConsumer();
  const dir = join(consumer.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.mjs'), source);
  const r = await runProgram(process.execPath, ['main.mjs'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** The headings whose first code block a test below runs. */
const RUN_BLOCKS = ['## API', '## Datasets', '## Search and retrieval metrics', '## Asymmetric ranking', '## Command line'];

describe('README examples', () => {
  it('every code block is run by a test here or marked as not run', () => {
    const lines = readme.split('\n');
    let heading = '';
    let fenced = false;
    const seen = new Set<string>();
    const unmarked: string[] = [];
    lines.forEach((line, i) => {
      if (!fenced && line.startsWith('## ')) heading = line;
      if (!line.startsWith('```')) return;
      fenced = !fenced;
      if (!fenced) return;
      const run = RUN_BLOCKS.includes(heading) && !seen.has(heading);
      seen.add(heading);
      if (!run && !lines[i - 1].startsWith('<!-- not run by the tests')) unmarked.push(`line ${i + 1} (${heading})`);
    });
    expect(unmarked).toEqual([]);
    expect([...seen]).toEqual(expect.arrayContaining(RUN_BLOCKS));
  });

  it('the API block trains, encodes, evaluates, saves and loads as written', async () => {
    // The block is TypeScript without type annotations: it runs as an ES module.
    const check = `
const again = same.encode('image', query.image);
console.log(JSON.stringify({ mAP, rows: q.count, bits: q.bits, trained: db.count, sameCodes: Buffer.from(again.data).equals(Buffer.from(q.data)) }));
`;
    const out = await runModule('readme-api', blockAfter('## API', 'ts') + '\n' + check);
    expect(out).toMatchObject({ rows: 500, bits: 64, trained: 2500, sameCodes: true });
    // Ten classes: chance mAP is about 0.1 (more with multi-label); a trained model is far above it.
    expect(out.mAP).toBeGreaterThan(0.3);
    expect(out.mAP).toBeLessThanOrEqual(1);
  });

  it('the search block continues the API block as written: index, search, files, durable index, metrics', async () => {
    const check = `
await durable.close();
const first = top.get(0);
// The nearest database codes of query 0, by a plain scan of the same codes.
const words = db.bits / 8;
const distance = (a, i, b, j) => { let d = 0; for (let t = 0; t < words; t++) { let x = a.data[i * words + t] ^ b.data[j * words + t]; while (x) { d += x & 1; x >>= 1; } } return d; };
const scan = Array.from({ length: db.count }, (_, j) => distance(q, 0, db, j)).sort((a, b) => a - b).slice(0, 100);
console.log(JSON.stringify({ k: top.k, distances: Array.from(first.distances), scan, within: near.get(0).distances.every((d) => d <= 3), mappedSize: mapped.size, durableSize: durable.size }));
`;
    const out = await runModule('readme-search', continued(blockAfter('## API', 'ts'), blockAfter('## Search and retrieval metrics', 'ts')) + '\n' + check);
    expect(out.k).toBe(100);
    expect(out.distances).toEqual(out.scan);
    expect(out.within).toBe(true);
    // codes.idx was saved after removing id 17; the durable index holds the codes less id 3.
    expect(out.mappedSize).toBe(2499);
    expect(out.durableSize).toBe(2499);
  });
});

describe('README datasets', () => {
  it('splitQueries and loadDataset + selectRows give the same parts, as the block writes them (synthetic data)', async () => {
    const check = `
const bytes = (m) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
const same = (a, b) => ['image', 'text', 'labels'].every((k) => a[k].rows === b[k].rows && a[k].cols === b[k].cols && bytes(a[k]).equals(bytes(b[k])));
// Row r of the folder is row r of data: compare with independent slices of the original arrays.
const rowsOf = (m, a, b) => ({ rows: b - a, cols: m.cols, data: m.data.slice(a * m.cols, b * m.cols) });
const slice = (a, b) => ({ image: rowsOf(data.image, a, b), text: rowsOf(data.text, a, b), labels: rowsOf(data.labels, a, b) });
console.log(JSON.stringify({ name: ds.name, rows: ds.labels.rows, split: [ds.split.train.length, ds.split.query.length, ds.split.database.length],
  splitTrain: same(train, slice(0, 1000)), splitQuery: same(query, slice(1000, 1200)),
  folderTrain: same(trainPart, slice(0, 1000)), folderQuery: same(queryPart, slice(1000, 1200)), textToImage }));
`;
    const out = await runModule('readme-datasets', blockAfter('## Datasets', 'ts') + '\n' + check);
    expect(out).toMatchObject({ name: 'my-set', rows: 1200, split: [1000, 200, 1000], splitTrain: true, splitQuery: true, folderTrain: true, folderQuery: true });
    // Five classes: chance is about 0.2; a trained model is far above it.
    expect(out.textToImage).toBeGreaterThan(0.4);
    expect(out.textToImage).toBeLessThanOrEqual(1);
  });
});

describe('README asymmetric ranking', () => {
  it('continues the API and search blocks as written: the scores are the naive +-1 inner products', async () => {
    const check = `
await durable.close();
// Naive scores of query 0 against every item still in the index (id 17 was removed).
const words = db.bits / 8, r = db.bits;
const score = (j) => { let s = 0; for (let b = 0; b < r; b++) s += z.data[b] * ((db.data[j * words + (b >> 3)] >> (b & 7)) & 1 ? 1 : -1); return s; };
const naive = Array.from({ length: db.count }, (_, j) => j).filter((j) => j !== 17).map((j) => [j, score(j)]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
console.log(JSON.stringify({ ids: Array.from(full.ids.subarray(0, 10), Number), scores: Array.from(full.scores.subarray(0, 10)), naive: naive.slice(0, 10), fastScores: Array.from(fast.scores.subarray(0, 10)), byScore }));
`;
    const api = blockAfter('## API', 'ts');
    const source = continued(continued(api, blockAfter('## Search and retrieval metrics', 'ts')), blockAfter('## Asymmetric ranking', 'ts'));
    const out = await runModule('readme-asymmetric', source + '\n' + check) as { ids: number[]; scores: number[]; naive: [number, number][]; fastScores: number[]; byScore: { imageToText: number; textToImage: number } };
    // Scores are single precision: compare them to the naive doubles to float rounding, and the ranking by them.
    out.naive.forEach(([, s], i) => expect(out.scores[i]).toBeCloseTo(s, 3));
    expect(out.ids.map((id, i) => out.naive.some(([j, s]) => j === id && Math.abs(s - out.scores[i]) < 1e-3))).toEqual(Array(10).fill(true));
    // Re-ranked candidates are a subset of the items: never above the exact best, sorted descending.
    expect(out.fastScores[0]).toBeLessThanOrEqual(out.scores[0] + 1e-6);
    for (let i = 1; i < 10; i++) expect(out.fastScores[i]).toBeLessThanOrEqual(out.fastScores[i - 1]);
    for (const v of [out.byScore.imageToText, out.byScore.textToImage]) expect(v).toBeGreaterThan(0.3);
  });
});

describe.skipIf(!existsSync(join(sharedDir, 'data', 'wiki', 'img.npy')))('README command line (needs ../shared/data/wiki)', () => {
  // The first three lines (train, encode, search); eval and reproduce take minutes and have their own CLI tests.
  it('train, encode and search run as written', async () => {
    const consumer = await packedConsumer();
    const lines = blockAfter('## Command line', 'sh').split('\n').slice(0, 3).map((l) => l.replace(/\s+#.*$/, ''));
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['train', 'encode', 'search']);
    // The consumer project has ../shared beside it, as the repository has.
    const dir = consumer.dir;
    const results: string[] = [];
    for (const line of lines) {
      const r = await runProgram('bash', ['-c', line], { cwd: dir });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      results.push(r.stdout);
    }
    const split = JSON.parse(readFileSync(join(sharedDir, 'data', 'wiki', 'split.json'), 'utf8'));
    const databaseRows = split.database.stop - split.database.start;
    const queryRows = split.query.stop - split.query.start;
    const codes = await readNpy(join(dir, 'codes.npy'));
    expect(codes.shape).toEqual([databaseRows, 8]);
    const search = JSON.parse(results[2]) as { k: number; queries: { ids: number[]; distances: number[] }[] };
    expect(search.k).toBe(10);
    expect(search.queries).toHaveLength(queryRows);
    // Query 0's distances against a plain scan of the model's training codes with the library's own encode.
    const model = await ASCMH.load(join(dir, 'wiki64.ascmh'));
    const image = await readNpy(join(sharedDir, 'data', 'wiki', 'img.npy'));
    const cols = image.shape[1];
    const q = model.encode('image', { rows: 1, cols, data: image.data.subarray(split.query.start * cols, (split.query.start + 1) * cols) as Float32Array });
    const db = model.trainingCodes;
    const words = db.data.length / db.count;
    const popcount = (x: number) => { let d = 0; for (; x; x >>= 1) d += x & 1; return d; };
    const scan = Array.from({ length: db.count }, (_, j) => { let d = 0; for (let t = 0; t < words; t++) d += popcount(q.data[t] ^ db.data[j * words + t]); return d; });
    expect(search.queries[0].distances).toEqual(scan.sort((a, b) => a - b).slice(0, 10));
    for (const [n, id] of search.queries[0].ids.entries()) expect(Number(id) >= 0 && Number(id) < db.count, `id ${n}`).toBe(true);
  });
});
