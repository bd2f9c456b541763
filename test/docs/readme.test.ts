// README code run as written against the packed package (test/helpers/consumer.ts), with a few
// lines appended that check what the block computed. Not covered yet: the CLI block (needs
// ../shared data) and the baselines block (a fragment).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packedConsumer, repoRoot, runProgram } from '../helpers/consumer.js';

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

describe('README examples', () => {
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
