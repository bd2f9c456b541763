// Crash test of the HTTP service: writers add (and delete) batches through HTTP to
// `node dist/cli.js serve` (fsync durability), which is killed with SIGKILL at random moments,
// 50 times, restarted each time. After each kill: every acknowledged id is present with its code,
// every acknowledged delete stayed deleted, and no batch in flight is half-applied.
import { describe, expect, it } from 'vitest';
import { DurableHammingIndex } from '../../src/index.js';
import { rng } from '../helpers/hamming-reference.js';
import { spawnServe, useServerFixture } from '../helpers/server.js';

const fixture = useServerFixture();
// ASCMH_CRASH_ROUNDS: fewer under the sanitizer build, where each restart is several times slower.
const ROUNDS = Number(process.env.ASCMH_CRASH_ROUNDS ?? 50);
// There each write is several times slower too: the writes get longer before the kill, so that
// some are acknowledged in every round (5 in all once on a slow host with the release windows).
const WINDOW = ROUNDS < 50 ? 4 : 1;
const WRITERS = 4;
const BATCH = 5;

/** The code written for an id: recognisable, different for every id. */
function codeOf(id: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, id * 0x9e3779b97f4a7c15n + 0x1234n));
  return b;
}

type Op = { kind: 'add' | 'remove'; ids: bigint[]; acked: boolean };

describe('serve: crash test', () => {
  it(`killed with SIGKILL at random moments ${ROUNDS} times, no acknowledged write is lost and no batch is half-applied`, async () => {
    const dir = fixture.folder('idx');
    const rand = rng(12);
    const present = new Set<bigint>(); // ids known to be in the index (acknowledged, or found whole after a kill)
    const gone = new Set<bigint>(); // ids known to be removed
    let acknowledged = 0, killedBeforeReady = 0;
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const ops: Op[] = [];
      const s = await spawnServe(['--model', fixture.modelPath, '--index', dir, '--port', '0', '--durability', 'fsync', '--threads', '1', '--log-level', 'fatal']);
      // Every fifth round is killed during startup (while the log is replayed or before), the
      // others 20 to 300 ms (times WINDOW) after the server is ready, in the middle of the writes.
      const early = round % 5 === 4;
      let killed = false;
      const kill = () => {
        if (!killed) s.child.kill('SIGKILL');
        killed = true;
      };
      if (early) setTimeout(kill, Math.floor(rand() * 400));
      let url: string | undefined;
      try {
        url = await s.url;
      } catch {
        killedBeforeReady++;
      }
      if (url && !killed) {
        setTimeout(kill, WINDOW * (20 + Math.floor(rand() * 280)));
        let next = 0;
        const writer = async (w: number) => {
          const mine: bigint[] = [];
          for (let b = 0; !killed; b++) {
            const removing = b % 3 === 2 && mine.length >= 2;
            const op: Op = removing
              ? { kind: 'remove', ids: mine.splice(0, 2), acked: false }
              : { kind: 'add', ids: Array.from({ length: BATCH }, (_, i) => BigInt(round * 1_000_000 + (next * WRITERS + w) * 10 + i)), acked: false };
            if (!removing) next++;
            ops.push(op);
            const body = op.kind === 'add'
              ? { codes: Buffer.concat(op.ids.map(codeOf)).toString('base64'), ids: op.ids.map(String) }
              : { ids: op.ids.map(String) };
            try {
              const res = await fetch(`${url}/v1/items`, { method: op.kind === 'add' ? 'POST' : 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
              await res.arrayBuffer();
              if (res.status !== 200) throw new Error(`status ${res.status}`);
              op.acked = true;
              if (op.kind === 'add') mine.push(...op.ids);
            } catch (err) {
              if (!killed) throw err;
              return;
            }
          }
        };
        await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      }
      kill();
      const exit = await s.exited;
      expect(exit.signal, s.stderr()).toBe('SIGKILL');

      const index = await DurableHammingIndex.open(dir);
      try {
        const has = (id: bigint) => index.get(id) !== undefined;
        // Ids of acknowledged adds that a delete of this round then targeted are checked by the delete.
        const targeted = new Set(ops.filter((op) => op.kind === 'remove').flatMap((op) => op.ids));
        for (const op of ops) {
          if (op.kind === 'add') {
            const ids = op.ids.filter((id) => !targeted.has(id));
            const here = ids.filter(has);
            if (op.acked) expect(here.length, `acknowledged add ${op.ids[0]} in round ${round}`).toBe(ids.length);
            else expect(here.length === 0 || here.length === BATCH, `half-applied add ${op.ids[0]} in round ${round}`).toBe(true);
            for (const id of here) present.add(id);
            for (const id of here) expect(index.get(id)).toEqual(new Uint8Array(codeOf(id)));
          } else {
            const here = op.ids.filter(has);
            if (op.acked) expect(here, `acknowledged delete in round ${round}`).toEqual([]);
            else expect(here.length === 0 || here.length === op.ids.length, `half-applied delete in round ${round}`).toBe(true);
            for (const id of op.ids) {
              if (here.length === 0) {
                present.delete(id);
                gone.add(id);
              } else present.add(id);
            }
          }
          if (op.acked) acknowledged++;
        }
        // Across all rounds: what was known present still is (and with its code), what was removed stays removed.
        for (const id of present) expect(index.get(id), `id ${id} after round ${round}`).toEqual(new Uint8Array(codeOf(id)));
        for (const id of gone) expect(has(id)).toBe(false);
        // Nothing else is there: every item belongs to a known add.
        expect(index.size).toBe(present.size);
      } finally {
        await index.close();
      }
    }
    // Not vacuous: writes were acknowledged between the kills (about 60 per round in the release build).
    expect(acknowledged).toBeGreaterThan(Math.min(200, 2 * ROUNDS));
    if (ROUNDS >= 50) expect(killedBeforeReady).toBeGreaterThan(0);  // a kill during startup happens at random
    console.log(`serve crash test: ${ROUNDS} kills (${killedBeforeReady} during startup), ${acknowledged} acknowledged writes, ${present.size} items, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 180_000);
});
