// `ascmh serve` as a user starts it: --help, the startup line, SIGTERM (drain, checkpoint, exit 0),
// usage errors (one line, exit 2).
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableHammingIndex } from '../../src/index.js';
import { run } from '../helpers/cli.js';
import { base64Of, randomCodes, spawnServe, useServerFixture } from '../helpers/server.js';

const fixture = useServerFixture();

describe('ascmh serve', () => {
  it('--help lists every option with its default', async () => {
    const r = await run('serve', '--help');
    expect(r.code).toBe(0);
    for (const option of ['--model', '--index', '--port', '--host', '--durability', '--token-file', '--auth', '--threads', '--batch-window-ms', '--max-batch', '--no-batching', '--body-limit', '--max-k', '--max-queries', '--max-event-loop-delay', '--lock-wait-ms', '--drain-delay-ms', '--shutdown-timeout-ms', '--log-level']) {
      expect(r.stdout).toContain(option);
    }
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const d of ['(default: 8080)', '(default: "127.0.0.1")', 'default: "fsync"', 'default: "writes"', '(default: 1)', '(default: 256)', '(default: 16777216)', '(default: 1000)', '(default: 10000)', '(default: 30000)', '(default: 0)']) {
      expect(text).toContain(d);
    }
    expect((await run('--help')).stdout).toContain('serve');
  });

  it('starts (one line: address, model, index size, durability), serves, and on SIGTERM drains, checkpoints and exits 0', async () => {
    const dir = fixture.folder('idx');
    const tokenFile = join(fixture.folder('t'));
    writeFileSync(tokenFile, 'tok-123\n');
    const s = await spawnServe(['--model', fixture.modelPath, '--index', dir, '--port', '0', '--durability', 'os', '--token-file', tokenFile, '--threads', '1']);
    const url = await s.url;
    expect(s.stdout()).toMatch(new RegExp(`^ascmh serve: listening on http://127\\.0\\.0\\.1:\\d+, model ${fixture.modelPath.replace(/[.]/g, '\\.')} \\(64 bits\\), index ${dir} \\(0 items\\), durability os, token for writes, batching 1 ms / 256 queries\\n$`));
    const add = await fetch(`${url}/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tok-123' }, body: JSON.stringify({ codes: base64Of(randomCodes(25, 1)) }) });
    expect(add.status).toBe(200);
    const unauthorized = await fetch(`${url}/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ codes: base64Of(randomCodes(1, 1)) }) });
    expect(unauthorized.status).toBe(401);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.stderr()).toContain('SIGTERM, draining and checkpointing');
    // The checkpoint covers everything: nothing to replay.
    const index = await DurableHammingIndex.open(dir);
    expect(index.size).toBe(25);
    expect(index.stats().replayed).toBe(0);
    await index.close();
    expect(readdirSync(dir).some((f) => f.startsWith('snapshot-'))).toBe(true);
  });

  it('usage errors: one line on stderr, exit 2', async () => {
    const missing = await run('serve', '--model', join(fixture.folder('none'), 'nope.ascmh'), '--index', fixture.folder('idx'), '--port', '0');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const noToken = await run('serve', '--model', fixture.modelPath, '--index', fixture.folder('idx'), '--auth', 'all', '--port', '0');
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--auth all needs a token/);
    const badPort = await run('serve', '--model', fixture.modelPath, '--index', fixture.folder('idx'), '--port', '70000');
    expect(badPort.code).toBe(2);
    const dir = fixture.folder('idx');
    const holder = await DurableHammingIndex.open(dir, { bits: 64 });
    const locked = await run('serve', '--model', fixture.modelPath, '--index', dir, '--port', '0', '--lock-wait-ms', '300');
    await holder.close();
    expect(locked.code).toBe(2);
    expect(locked.stderr.trim().split('\n')).toHaveLength(1);
    expect(locked.stderr).toMatch(/lock/i);
  });
});
