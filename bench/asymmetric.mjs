// Asymmetric search: the full lookup-table scan against peers in the same run, and the cost of
// re-ranking Hamming candidates on top of a top-10 search.
//   node --expose-gc bench/asymmetric.mjs [--n 1000000] [--bits 64,128] [--queries 100] [--threads 1] [--repeats 5]
// Peers for the full scan, same codes and projections, one thread unless --threads:
//   - FAISS IndexPQ (inner product) with one 8-bit sub-quantizer per code byte whose centroids are
//     the +-1 patterns of its bits: product quantisation's own LUT scan, same scores;
//   - numpy: the projections times the database unpacked to +-1 float32 (a BLAS product), then
//     argpartition (the database is unpacked before timing);
//   - plain JavaScript: the score bit by bit, on fewer queries.
// Re-ranking: searchAsymmetric({ k: 10, rerank: R }) against search({ k: 10 }) of the sign codes.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HammingIndex } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('n', 1_000_000));
const BITS = String(arg('bits', '64,128')).split(',').map(Number);
const NQ = Number(arg('queries', 100));
const THREADS = Number(arg('threads', 1));
const REPEATS = Number(arg('repeats', 5));
const RERANKS = String(arg('rerank', '100,1000')).split(',').map(Number);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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
const python = (code) => {
  try {
    execFileSync('python3', ['-c', code], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const faissOk = python('import faiss'), numpyOk = python('import numpy');

const info = { cpu: cpus()[0].model, cores: cpus().length, kernelVersion: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), hammingKernel: HammingIndex.kernel, n: N, queries: NQ, threads: THREADS, repeats: REPEATS, OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null };
console.log(JSON.stringify(info));
const tmp = mkdtempSync(join(tmpdir(), 'ascmh-bench-'));
const rows = [];
try {
  for (const bits of BITS) {
    const stride = Math.ceil(bits / 64) * 8, bytes = bits / 8;
    const db = { count: N, bits, data: randomFillSync(new Uint8Array(N * stride)) };
    const index = new HammingIndex({ bits });
    index.add(db);
    const p = new Float32Array(NQ * bits);
    for (let i = 0; i < p.length; i++) p[i] = Math.random() * 2 - 1;
    const projections = { rows: NQ, cols: bits, data: p };
    const pairs = N * NQ;
    const [tScan, scan] = await timed(() => index.searchAsymmetric(projections, { k: 10, threads: THREADS }));

    // Plain JavaScript, bit by bit, over a few queries.
    const jsQueries = 2;
    const [tJs] = await timed(() => {
      let best = -Infinity;
      for (let q = 0; q < jsQueries; q++)
        for (let i = 0; i < N; i++) {
          let s = 0;
          for (let j = 0; j < bits; j++) s += (db.data[i * stride + (j >> 3)] >> (j & 7)) & 1 ? p[q * bits + j] : -p[q * bits + j];
          if (s > best) best = s;
        }
      return best;
    });

    let faiss = null, numpy = null;
    if (faissOk || numpyOk) {
      const dbFile = join(tmp, 'db.bin'), qFile = join(tmp, 'q.bin');
      const rowsOf = new Uint8Array(N * bytes);
      for (let i = 0; i < N; i++) rowsOf.set(db.data.subarray(i * stride, i * stride + bytes), i * bytes);
      writeFileSync(dbFile, rowsOf);
      writeFileSync(qFile, p);
      const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(THREADS), OPENBLAS_NUM_THREADS: String(THREADS) };
      if (faissOk) {
        faiss = JSON.parse(execFileSync('python3', [new URL('./faiss_pq.py', import.meta.url).pathname, dbFile, String(N), qFile, String(NQ), String(bits), '10', String(THREADS)], { encoding: 'utf8', env }));
        // Same answer (ids; scores to single precision).
        if (faiss.first_ids.join() !== Array.from(scan.ids.subarray(0, 5), Number).join()) throw new Error(`FAISS and ascmh ids differ: ${faiss.first_ids} / ${Array.from(scan.ids.subarray(0, 5))}`);
      }
      if (numpyOk) numpy = JSON.parse(execFileSync('python3', [new URL('./numpy_asymmetric.py', import.meta.url).pathname, dbFile, String(N), qFile, String(NQ), String(bits), '10'], { encoding: 'utf8', env }));
      rmSync(dbFile);
    }

    // Re-ranking on top of a top-10 search: the Hamming search of the projections' sign codes.
    const signs = { count: NQ, bits, data: new Uint8Array(NQ * stride) };
    for (let q = 0; q < NQ; q++) for (let j = 0; j < bits; j++) if (p[q * bits + j] >= 0) signs.data[q * stride + (j >> 3)] |= 1 << (j & 7);
    const [tTop10] = await timed(() => index.search(signs, { k: 10, threads: THREADS }));
    // What re-ranking adds: the median of paired ratios (a top-10, then each re-ranked search,
    // round after round), so that the machine's drift between the two cancels.
    const once = async (f) => {
      globalThis.gc?.();
      await new Promise(setImmediate);
      const t = process.hrtime.bigint();
      f();
      return Number(process.hrtime.bigint() - t);
    };
    const ratios = Object.fromEntries(RERANKS.map((R) => [R, []]));
    for (let round = 0; round < 3 * REPEATS; round++) {
      const base = await once(() => index.search(signs, { k: 10, threads: THREADS }));
      for (const R of RERANKS) ratios[R].push((await once(() => index.searchAsymmetric(projections, { k: 10, rerank: R, threads: THREADS }))) / base);
    }
    const row = {
      bits,
      'scan ns/pair': (tScan * 1e9) / pairs,
      'FAISS PQ ns/pair': faiss ? (faiss.seconds * 1e9) / pairs : null,
      'numpy ns/pair': numpy ? (numpy.seconds * 1e9) / pairs : null,
      'plain JS ns/pair': (tJs * 1e9) / (N * jsQueries),
      'FAISS / ascmh': faiss ? faiss.seconds / tScan : null,
      'numpy / ascmh': numpy ? numpy.seconds / tScan : null,
      'JS / ascmh': (tJs / jsQueries) / (tScan / NQ),
      'Hamming top-10 ms/query': (tTop10 * 1e3) / NQ,
    };
    for (const R of RERANKS) row[`rerank ${R}: added to top-10`] = median(ratios[R]) - 1;
    rows.push(row);
    console.error(JSON.stringify(row));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const keys = Object.keys(rows[0]);
console.log(`\n| ${keys.join(' | ')} |\n| ${keys.map(() => '---:').join(' | ')} |`);
for (const r of rows) console.log(`| ${keys.map((k) => (r[k] === null ? 'n/a' : Number.isInteger(r[k]) ? r[k].toLocaleString('en') : k.startsWith('rerank') ? `${(100 * r[k]).toFixed(1)}%` : r[k].toFixed(3))).join(' | ')} |`);
