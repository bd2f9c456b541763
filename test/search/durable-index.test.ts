// The durable index (issue 11): a snapshot plus a write-ahead log in a directory. What is
// acknowledged survives a kill; torn tails, damaged bytes, a missing snapshot, a foreign file and a
// second writer each give the documented outcome (replay up to the last good record, or a coded
// error), never a crash.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableHammingIndex, HammingIndex } from '../../src/index.js';
import { distIndex, runScript } from '../helpers/child.js';
import { rng } from '../helpers/hamming-reference.js';
import { scratchDir } from '../helpers/temp.js';

const code = (v: number, bits = 64) => {
  const data = new Uint8Array(Math.ceil(bits / 64) * 8);
  new DataView(data.buffer).setUint32(0, v >>> 0, true);
  return data;
};
const codes = (values: number[], bits = 64) => {
  const stride = Math.ceil(bits / 64) * 8, data = new Uint8Array(values.length * stride);
  values.forEach((v, i) => data.set(code(v, bits), i * stride));
  return { count: values.length, bits, data };
};
const files = (dir: string) => readdirSync(dir).sort();
const logOf = (dir: string) => join(dir, files(dir).find((f) => f.startsWith('log-'))!);

describe('durable index: operations', () => {
  it('adds, removes and searches; a reopened index has exactly the acknowledged state', async () => {
    const dir = join(scratchDir(), 'idx');
    const index = await DurableHammingIndex.open(dir, { bits: 64 });
    expect(await index.add(codes([1, 2, 3]))).toEqual({ count: 3, firstId: 0n });
    expect(await index.add(codes([9]), [100n])).toEqual({ count: 1, firstId: null });
    expect(await index.add(codes([4, 5]))).toEqual({ count: 2, firstId: 101n });
    expect(await index.remove([1n, 100n, 77n])).toBe(2);
    expect(index.size).toBe(4);
    const before = index.search(codes([4]), { k: 4 });
    expect(before.ids[0]).toBe(101n);
    await index.close();
    const again = await DurableHammingIndex.open(dir);
    expect(again.size).toBe(4);
    expect(again.bits).toBe(64);
    expect(again.search(codes([4]), { k: 4 })).toEqual(before);
    expect(again.stats()).toMatchObject({ replayed: 4, lastSequence: 4 });
    expect(await again.add(codes([6]))).toEqual({ count: 1, firstId: 103n });
    await again.close();
  });

  it('operations started in one tick share one log write (group commit)', async () => {
    const index = await DurableHammingIndex.open(join(scratchDir(), 'idx'), { bits: 64 });
    const before = index.stats().logWrites;
    const done = await Promise.all(Array.from({ length: 100 }, (_, i) => index.add(codes([i]), [BigInt(i)])));
    expect(done).toHaveLength(100);
    expect(index.stats().logWrites - before).toBe(1);
    expect(index.size).toBe(100);
    await index.close();
  });

  it('a search never sees an operation before it is acknowledged', async () => {
    const index = await DurableHammingIndex.open(join(scratchDir(), 'idx'), { bits: 64 });
    const pending = index.add(codes([42]));
    expect(index.size).toBe(0);
    await pending;
    expect(index.size).toBe(1);
    await index.close();
  });

  it('refuses duplicate ids, also against operations still in flight, and changes nothing', async () => {
    const index = await DurableHammingIndex.open(join(scratchDir(), 'idx'), { bits: 64 });
    await index.add(codes([1]), [5n]);
    await expect(index.add(codes([2]), [5n])).rejects.toMatchObject({ code: 'ERR_ASCMH_DUPLICATE_ID' });
    const first = index.add(codes([3]), [6n]);
    await expect(index.add(codes([4]), [6n])).rejects.toMatchObject({ code: 'ERR_ASCMH_DUPLICATE_ID' });
    const auto = index.add(codes([5, 6]));  // will be 7 and 8
    await expect(index.add(codes([7]), [8n])).rejects.toMatchObject({ code: 'ERR_ASCMH_DUPLICATE_ID' });
    await first;
    expect((await auto).firstId).toBe(7n);
    expect(index.size).toBe(4);
    await index.close();
  });

  it('checkpoint writes a snapshot and drops the log it covers; durability none logs nothing', async () => {
    const dir = join(scratchDir(), 'idx');
    const index = await DurableHammingIndex.open(dir, { bits: 128 });
    await index.add(codes([1, 2, 3], 128));
    await index.checkpoint();
    expect(files(dir)).toEqual(['LOCK', 'log-00000000000000000002.wal', 'snapshot-00000000000000000001.idx']);
    await index.add(codes([4], 128));
    await index.close();
    const none = await DurableHammingIndex.open(dir, { durability: 'none' });
    expect(none.size).toBe(4);
    await none.add(codes([5], 128));
    const logBytes = statSync(logOf(dir)).size;
    await none.close();
    expect(statSync(logOf(dir)).size).toBe(logBytes);
    const back = await DurableHammingIndex.open(dir);
    expect(back.size).toBe(4);  // the 'none' add was never logged
    await back.close();
  });
});

describe('durable index: damage and misuse', () => {
  async function filled(bits = 64) {
    const dir = join(scratchDir(), 'idx');
    const index = await DurableHammingIndex.open(dir, { bits });
    for (let i = 0; i < 10; i++) await index.add(codes([i * 3, i * 3 + 1], bits));
    await index.close();
    return dir;
  }

  it('a torn tail is cut at the last good record', async () => {
    const dir = await filled();
    const log = logOf(dir);
    const size = statSync(log).size;
    truncateSync(log, size - 13);  // the last record is now incomplete
    const index = await DurableHammingIndex.open(dir);
    expect(index.size).toBe(18);
    expect(index.stats().replayed).toBe(9);
    expect(statSync(log).size).toBeLessThan(size - 13);  // cut back to a record boundary
    expect(await index.add(codes([99]))).toEqual({ count: 1, firstId: 18n });
    await index.close();
    expect((await DurableHammingIndex.open(dir).then(async (i) => { const n = i.size; await i.close(); return n; }))).toBe(19);
  });

  it('a flipped byte in the log ends the replay at the record before it', async () => {
    const dir = await filled();
    const log = logOf(dir);
    const bytes = readFileSync(log);
    const record = (bytes.length - 32) / 10;  // ten records of equal size after the 32-byte header
    bytes[32 + 4 * record + 40] ^= 0x20;  // inside record 5
    writeFileSync(log, bytes);
    const index = await DurableHammingIndex.open(dir);
    expect(index.size).toBe(8);
    await index.close();
  });

  it('a damaged snapshot is a coded error: at open for its header, at the first search for its codes', async () => {
    const dir = await filled();
    const index = await DurableHammingIndex.open(dir);
    await index.checkpoint();
    await index.close();
    const snapshot = join(dir, files(dir).find((f) => f.startsWith('snapshot-'))!);
    const bytes = readFileSync(snapshot);
    const codesFlipped = Buffer.from(bytes);
    codesFlipped[4096 + 5] ^= 1;
    writeFileSync(snapshot, codesFlipped);
    const open = await DurableHammingIndex.open(dir);
    expect(() => open.search(codes([1]), { k: 1 })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_INDEX_CORRUPT' }));
    await open.close();
    const headerFlipped = Buffer.from(bytes);
    headerFlipped[20] ^= 1;
    writeFileSync(snapshot, headerFlipped);
    await expect(DurableHammingIndex.open(dir)).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT' });
  });

  it('a missing snapshot: fine while the log starts at record 1, a coded error once records are gone', async () => {
    const dir = await filled();
    const index = await DurableHammingIndex.open(dir);
    expect(index.size).toBe(20);  // no snapshot yet: the log alone rebuilds it
    await index.checkpoint();
    await index.add(codes([1]));
    await index.close();
    rmSync(join(dir, files(dir).find((f) => f.startsWith('snapshot-'))!));
    await expect(DurableHammingIndex.open(dir)).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_CORRUPT', message: expect.stringMatching(/records before it are gone/) });
  });

  it('a foreign directory, a plain file, a missing directory without bits, and a bits mismatch are coded errors', async () => {
    const base = scratchDir();
    const foreign = join(base, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'hello');
    await expect(DurableHammingIndex.open(foreign, { bits: 64 })).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_FORMAT' });
    writeFileSync(join(base, 'file'), 'x');
    await expect(DurableHammingIndex.open(join(base, 'file'), { bits: 64 })).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_FORMAT' });
    await expect(DurableHammingIndex.open(join(base, 'nothing'))).rejects.toMatchObject({ code: 'ERR_ASCMH_IO' });
    const dir = await filled(128);
    await expect(DurableHammingIndex.open(dir, { bits: 64 })).rejects.toMatchObject({ code: 'ERR_ASCMH_BITS_MISMATCH' });
    await expect(DurableHammingIndex.open(dir, { durability: 'always' as never })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    writeFileSync(logOf(dir), 'not a log');
    await expect(DurableHammingIndex.open(dir)).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_FORMAT' });
  });

  it('a second writer, in this process or another, gets ERR_ASCMH_INDEX_LOCKED', async () => {
    const dir = await filled();
    const index = await DurableHammingIndex.open(dir);
    await expect(DurableHammingIndex.open(dir)).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_LOCKED' });
    const other = await runScript(`try { await lib.DurableHammingIndex.open(${JSON.stringify(dir)}); print('opened'); } catch (e) { print(e.code); }`);
    expect(other.lines.at(-1)).toBe('ERR_ASCMH_INDEX_LOCKED');
    await index.close();
    const after = await DurableHammingIndex.open(dir);
    expect(after.size).toBe(20);
    await after.close();
    expect(HammingIndex).toBeDefined();
  });
});

// ASCMH_CRASH_ROUNDS: fewer under the sanitizer build, where each restart is several times slower.
const CRASH_ROUNDS = Number(process.env.ASCMH_CRASH_ROUNDS ?? 50);

describe('durable index: crash test', () => {
  it(`killed with SIGKILL at random moments ${CRASH_ROUNDS} times, every acknowledged operation survives and nothing else appears`, async () => {
    const dir = join(scratchDir(), 'idx');
    const rand = rng(2024);
    // The writer adds batches (explicit ids, so each is recognisable) and removes some, logging
    // each acknowledgement; it announces an operation before starting it. The log is a file
    // written with write(2): a line logged before the kill is there after it (stdout is not, as a
    // pipe the parent reads late queues its writes in the child).
    const ackLog = join(scratchDir(), 'acks.log');
    const writer = (round: number) => `
      const { DurableHammingIndex } = await import(${JSON.stringify(distIndex)});
      const { openSync, writeSync } = await import('node:fs');
      const log = openSync(${JSON.stringify(ackLog)}, 'w');
      const index = await DurableHammingIndex.open(${JSON.stringify(dir)}, { bits: 64, durability: 'fsync' });
      const say = (s) => writeSync(log, s + '\\n');
      say('open ' + index.size);
      for (let b = 0; ; b++) {
        const base = ${round} * 1000000 + b * 10;
        const ids = Array.from({ length: 5 }, (_, i) => BigInt(base + i));
        const data = new Uint8Array(40);
        ids.forEach((id, i) => new DataView(data.buffer).setUint32(i * 8, Number(id) >>> 0, true));
        say('try add ' + base);
        await index.add({ count: 5, bits: 64, data }, ids);
        say('ack add ' + base);
        if (b % 3 === 2) {
          say('try remove ' + (base - 10));
          await index.remove([BigInt(base - 10), BigInt(base - 9)]);
          say('ack remove ' + (base - 10));
        }
      }`;
    const acked = new Set<bigint>();   // ids acknowledged as added and not acknowledged as removed
    const removed = new Set<bigint>();
    for (let round = 0; round < CRASH_ROUNDS; round++) {
      rmSync(ackLog, { force: true });
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer(round)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (existsSync(ackLog) && readFileSync(ackLog, 'utf8').includes('open ')) {
            clearInterval(timer);
            setTimeout(() => child.kill('SIGKILL'), 20 + Math.floor(rand() * 150));
          }
        }, 5);
        child.on('close', () => {
          clearInterval(timer);
          resolve();
        });
      });
      expect(stderr).toBe('');
      const out = readFileSync(ackLog, 'utf8');
      // The one operation in flight at the kill may or may not have landed; all others must have.
      let inFlight: { kind: string; base: number } | undefined;
      for (const line of out.split('\n')) {
        const [word, kind, n] = line.split(' ');
        if (word === 'try') inFlight = { kind, base: Number(n) };
        if (word === 'ack') {
          inFlight = undefined;
          const base = BigInt(n);
          if (kind === 'add') for (let i = 0n; i < 5n; i++) acked.add(base + i);
          else for (const id of [base, base + 1n]) {
            acked.delete(id);
            removed.add(id);
          }
        }
      }
      const index = await DurableHammingIndex.open(dir);
      try {
        const present = new Set<bigint>();
        const all = index.search({ count: 1, bits: 64, data: new Uint8Array(8) }, { k: Math.max(1, index.size) });
        for (const id of all.ids) present.add(id);
        const mayBeGone = inFlight?.kind === 'remove' ? [BigInt(inFlight.base), BigInt(inFlight.base + 1)] : [];
        for (const id of acked) if (!mayBeGone.includes(id)) expect(present.has(id), `acknowledged id ${id} after round ${round}`).toBe(true);
        for (const id of removed) if (!(inFlight?.kind === 'add')) expect(present.has(id), `removed id ${id}`).toBe(false);
        // Anything present is acknowledged or belongs whole to the one operation in flight.
        const extra = [...present].filter((id) => !acked.has(id));
        if (inFlight?.kind === 'add') {
          expect(extra.every((id) => id >= BigInt(inFlight!.base) && id < BigInt(inFlight!.base + 5))).toBe(true);
          expect(extra.length === 0 || extra.length === 5).toBe(true);
          for (const id of extra) acked.add(id);
        } else {
          expect(extra).toEqual([]);
        }
        if (inFlight?.kind === 'remove') {
          const gone = [BigInt(inFlight.base), BigInt(inFlight.base + 1)].filter((id) => !present.has(id));
          expect(gone.length === 0 || gone.length === 2).toBe(true);
          for (const id of gone) {
            acked.delete(id);
            removed.add(id);
          }
        }
        // Each id's code is the one written for it.
        for (const id of [...present].slice(0, 20)) {
          expect(new DataView(index.get(id)!.buffer).getUint32(0, true)).toBe(Number(id) >>> 0);
        }
        if (round % 10 === 9) await index.checkpoint();
      } finally {
        await index.close();
      }
    }
    expect(acked.size).toBeGreaterThan(2 * CRASH_ROUNDS);
    expect(existsSync(join(dir, 'LOCK'))).toBe(true);
  }, 300_000);
});
