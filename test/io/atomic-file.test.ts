import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AtomicFile, withAtomicFile, writeFileAtomic } from '../../src/io/atomic-file.js';
import { fileScratchDir } from '../helpers/temp.js';

const dir = () => fileScratchDir('ascmh-atomic-');

describe('atomic files', () => {
  it('the target appears only on commit, whole', async () => {
    const d = dir();
    const out = await AtomicFile.create(join(d, 'x'));
    await out.write(Buffer.from('hello '));
    expect(readdirSync(d).filter((f) => f === 'x')).toEqual([]);
    await out.write(Buffer.from('world'));
    await out.commit();
    expect(readdirSync(d)).toEqual(['x']);
    expect(readFileSync(join(d, 'x'), 'utf8')).toBe('hello world');
  });

  it('a failing body leaves the old file untouched and no temporary file', async () => {
    const d = dir();
    writeFileSync(join(d, 'x'), 'old');
    await expect(
      withAtomicFile(join(d, 'x'), async (out) => {
        await out.write(Buffer.from('half'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readdirSync(d)).toEqual(['x']);
    expect(readFileSync(join(d, 'x'), 'utf8')).toBe('old');
    await writeFileAtomic(join(d, 'x'), Buffer.from('new'));
    expect(readFileSync(join(d, 'x'), 'utf8')).toBe('new');
  });

  it('an unwritable place is a coded error naming the path', async () => {
    await expect(writeFileAtomic('/proc/ascmh-no/x', Buffer.from('a'))).rejects.toMatchObject({ code: 'ERR_ASCMH_WRITE', message: expect.stringMatching(/cannot write \/proc\/ascmh-no\/x: ENOENT/) });
  });

  it('process.exit mid-write (as on Ctrl-C) removes the temporary file', () => {
    const d = dir();
    const module = fileURLToPath(new URL('../../dist/io/atomic-file.js', import.meta.url));
    execFileSync(process.execPath, ['--input-type=module', '-e', `
      const { AtomicFile } = await import(${JSON.stringify(module)});
      const out = await AtomicFile.create(${JSON.stringify(join(d, 'x'))});
      await out.write(Buffer.alloc(1000));
      process.exit(0);`]);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('no temporary file survives an exit right after a save starts (issue 10, item 10)', () => {
  it('process.exit() in the same tick as model.save and writeCodesFile, or just after', async () => {
    const { runScript } = await import('../helpers/child.js');
    const { scratchDir } = await import('../helpers/temp.js');
    for (const delay of ['', 'await new Promise((r) => setImmediate(r));', 'await new Promise((r) => setTimeout(r, 2));']) {
      const d = scratchDir();
      const r = await runScript(`
        const { ASCMH, datasets, writeCodesFile } = lib;
        const model = await ASCMH.fit(datasets.synthetic({ n: 200, seed: 1 }), { bits: 16, imageAnchors: 30, textAnchors: 30 });
        model.save(${JSON.stringify(join(d, 'm.ascmh'))});
        writeCodesFile(${JSON.stringify(join(d, 'c.npy'))}, model.trainingCodes);
        ${delay}
        process.exit(0);`);
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
    }
  });
});
