// Exact Hamming search: this library's HammingIndex against FAISS IndexBinaryFlat in the same run.
//   node --expose-gc bench/search.mjs [--n 10000000] [--bits 64,128,256] [--queries 100] [--threads 1] [--repeats 5]
//   node --expose-gc bench/search.mjs --quick          (N = 1M, fewer repeats)
//   node --expose-gc bench/search.mjs --kernel avx2    (a lesser kernel this CPU also runs: avx2, popcnt, generic)
// Reports ns per (query, item) pair for top-10, top-1000 and a radius search (and ns per result
// for the radius search beyond the scan), the kernel that ran, the CPU and the kernel version.
// FAISS is measured when `python3 -c "import faiss"` works (the PyPI faiss-cpu wheel).
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HammingIndex } from '../dist/index.js';
import { native } from '../dist/core/native.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const quick = process.argv.includes('--quick');
const N = Number(arg('n', quick ? 1_000_000 : 10_000_000));
const BITS = String(arg('bits', '64,128,256')).split(',').map(Number);
const NQ = Number(arg('queries', 100));
const THREADS = Number(arg('threads', 1));
const REPEATS = Number(arg('repeats', quick ? 3 : 5));
const KERNEL = arg('kernel', null);
if (KERNEL && !native._setHammingKernel(KERNEL)) throw new Error(`this CPU has no ${KERNEL} kernel`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Between repeats the event loop turns and (with --expose-gc) a collection runs, as between the
// requests of a server: result buffers JS dropped go back to the addon's pool, so a repeat
// measures the search, not first-touch page faults on fresh memory.
const timed = async (f) => {
  const times = [];
  let r;
  for (let i = 0; i < REPEATS; i++) {
    r = undefined;
    globalThis.gc?.();
    await new Promise(setImmediate);
    const t = process.hrtime.bigint();
    r = f();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return [median(times), r];
};
const faissOk = (() => {
  try {
    execFileSync('python3', ['-c', 'import faiss'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// The radius that keeps about 1 in 1,000 random items: a few thousand results per query at 10M.
function radiusFor(bits) {
  let cumulative = 0, p = 0.5 ** bits, coefficient = 1;
  for (let r = 0; r <= bits; r++) {
    cumulative += coefficient * p;
    if (cumulative >= 1e-3) return r;
    coefficient = (coefficient * (bits - r)) / (r + 1);
  }
  return bits;
}

const info = { cpu: cpus()[0].model, kernelVersion: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), hammingKernel: HammingIndex.kernel, n: N, queries: NQ, threads: THREADS, repeats: REPEATS };
console.log(JSON.stringify(info));
const tmp = mkdtempSync(join(tmpdir(), 'ascmh-bench-'));
const rows = [];
try {
  for (const bits of BITS) {
    const stride = Math.ceil(bits / 64) * 8, bytes = bits / 8;
    const db = { count: N, bits, data: randomFillSync(new Uint8Array(N * stride)) };
    const queries = { count: NQ, bits, data: randomFillSync(new Uint8Array(NQ * stride)) };
    const index = new HammingIndex({ bits });
    index.add(db);
    const pairs = N * NQ;
    const [t10, r10] = await timed(() => index.search(queries, { k: 10, threads: THREADS }));
    const [t1000] = await timed(() => index.search(queries, { k: 1000, threads: THREADS }));
    const radius = radiusFor(bits);
    const [tr, rr] = await timed(() => index.searchRadius(queries, { radius, threads: THREADS }));
    const results = rr.ids.length;
    // The cost per result: the median of paired differences (a k = 1 scan, then the radius search,
    // repeat after repeat), so that the machine's drift between the two columns cancels.
    const extra = [];
    const once = async (f) => {
      globalThis.gc?.();
      await new Promise(setImmediate);
      const t = process.hrtime.bigint();
      f();
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    for (let i = 0; i < 2 * REPEATS + 1; i++) {
      const a = await once(() => index.search(queries, { k: 1, threads: THREADS }));
      const b = await once(() => index.searchRadius(queries, { radius, threads: THREADS }));
      extra.push(b - a);
    }
    let faiss = null;
    if (faissOk) {
      // FAISS takes rows of bits/8 bytes (the code-file layout); it gets the same codes.
      const dbFile = join(tmp, 'db.bin'), qFile = join(tmp, 'q.bin');
      const rowsOf = (c) => {
        const out = new Uint8Array(c.count * bytes);
        for (let i = 0; i < c.count; i++) out.set(c.data.subarray(i * stride, i * stride + bytes), i * bytes);
        return out;
      };
      writeFileSync(dbFile, rowsOf(db));
      writeFileSync(qFile, rowsOf(queries));
      const run = (k) => JSON.parse(execFileSync('python3', [new URL('./faiss_search.py', import.meta.url).pathname, dbFile, String(N), qFile, String(NQ), String(bits), String(k), String(THREADS)], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } }));
      faiss = { k10: run(10), k1000: run(1000) };
      // Same answers (distances; ids can differ among equal distances).
      if (faiss.k10.runs[0].first_d.join() !== Array.from(r10.distances.subarray(0, 5)).join()) throw new Error('FAISS and ascmh distances differ');
      rmSync(dbFile);
    }
    const row = {
      bits,
      'k=10 ns/pair': (t10 * 1e9) / pairs,
      'k=1000 ns/pair': (t1000 * 1e9) / pairs,
      'k=1000 / k=10': t1000 / t10,
      radius,
      'results/query': results / NQ,
      'radius ns/result (beyond a k=1 scan)': (median(extra) * 1e9) / Math.max(1, results),
      'radius ns/pair': (tr * 1e9) / pairs,
      'FAISS k=10 ns/pair': faiss ? (faiss.k10.runs[0].seconds * 1e9) / pairs : null,
      'FAISS k=1000 ns/pair': faiss ? (faiss.k1000.runs[0].seconds * 1e9) / pairs : null,
    };
    row['ascmh / FAISS speed-up, k=10'] = faiss ? row['FAISS k=10 ns/pair'] / row['k=10 ns/pair'] : null;
    row['ascmh / FAISS speed-up, k=1000'] = faiss ? row['FAISS k=1000 ns/pair'] / row['k=1000 ns/pair'] : null;
    rows.push(row);
    console.error(JSON.stringify(row));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const keys = Object.keys(rows[0]);
console.log(`\n| ${keys.join(' | ')} |\n| ${keys.map(() => '---:').join(' | ')} |`);
for (const r of rows) console.log(`| ${keys.map((k) => (r[k] === null ? 'n/a' : Number.isInteger(r[k]) ? r[k].toLocaleString('en') : r[k].toFixed(3))).join(' | ')} |`);
