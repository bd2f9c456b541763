// README code run as written against the packed package (test/helpers/consumer.ts), with a few
// lines appended that check what the block computed. Blocks not yet covered here: the search and
// index block (it continues the API block's variables), the CLI block (needs ../shared data) and
// the baselines block (a fragment).
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

describe('README examples', () => {
  it('the API block trains, encodes, evaluates, saves and loads as written', async () => {
    const consumer = await packedConsumer();
    const dir = join(consumer.dir, 'readme-api');
    mkdirSync(dir, { recursive: true });
    const block = blockAfter('## API', 'ts');
    // The block is TypeScript without type annotations: it runs as an ES module.
    const check = `
const again = same.encode('image', query.image);
console.log(JSON.stringify({ mAP, rows: q.count, bits: q.bits, trained: db.count, sameCodes: Buffer.from(again.data).equals(Buffer.from(q.data)) }));
`;
    writeFileSync(join(dir, 'main.mjs'), block + '\n' + check);
    const r = await runProgram(process.execPath, ['main.mjs'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ rows: 500, bits: 64, trained: 2500, sameCodes: true });
    // Ten classes: chance mAP is about 0.1 (more with multi-label); a trained model is far above it.
    expect(out.mAP).toBeGreaterThan(0.3);
    expect(out.mAP).toBeLessThanOrEqual(1);
  });
});
