// Exact Hamming top-k and mAP benchmark: this library's native index vs plain JavaScript vs FAISS.
// Run after `npx cmake-js compile`:   node bench/search.mjs            (full, a few minutes)
//                                     node bench/search.mjs --quick    (N = 200k only)
// FAISS is measured when `python3 -c "import faiss"` works (the PyPI faiss-cpu wheel, AVX2 build).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
const require = createRequire(import.meta.url);
const native = require('../build/Release/ascmh.node');
const quick = process.argv.includes('--quick');
const tmp = mkdtempSync(join(tmpdir(), 'ascmh-bench-'));
const now = () => Number(process.hrtime.bigint()) / 1e9;

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}
function randomCodes(count, bits, seed) {
  const r = rng(seed);
  const words32 = new Uint32Array(count * 2 * Math.ceil(bits / 64));
  for (let i = 0; i < words32.length; i++) words32[i] = r();
  return { count, bits, data: new Uint8Array(words32.buffer) };
}

// ---- memory bandwidth: memcmp of two equal 256 MiB buffers reads 512 MiB ----------------------
function bandwidth() {
  const size = 256 << 20;
  const a = Buffer.alloc(size, 7), b = Buffer.alloc(size, 7);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = now();
    Buffer.compare(a, b);
    best = Math.min(best, now() - t);
  }
  return (2 * size) / best / 1e9;
}

// ---- the best plain-JS exact top-k: 32-bit popcount bit tricks, the same running-threshold buckets
function jsTopK(db, n, queries, nq, bits, k) {
  const W = 2 * Math.ceil(bits / 64);
  const D = new Int32Array(db.buffer, db.byteOffset, n * W);
  const Q = new Int32Array(queries.buffer, queries.byteOffset, nq * W);
  const outIds = new Int32Array(nq * k), outD = new Uint16Array(nq * k);
  const count = new Int32Array(bits + 1);
  const cap = 4 * k + 64;
  let logPos = new Int32Array(cap), logD = new Uint16Array(cap);
  for (let q = 0; q < nq; q++) {
    count.fill(0);
    let thr = bits, cut = bits + 1, total = 0, len = 0;
    const q0 = Q[q * W], q1 = Q[q * W + 1], q2 = W > 2 ? Q[q * W + 2] : 0, q3 = W > 2 ? Q[q * W + 3] : 0;
    for (let i = 0, o = 0; i < n; i++, o += W) {
      let x = D[o] ^ q0, d = 0;
      x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      x = D[o + 1] ^ q1;
      x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      if (W > 2) {
        x = D[o + 2] ^ q2;
        x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        x = D[o + 3] ^ q3;
        x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      if (d >= cut) continue;
      if (len === cap) {
        let w = 0;
        for (let r = 0; r < len; r++) if (logD[r] <= thr) { logPos[w] = logPos[r]; logD[w++] = logD[r]; }
        len = w;
      }
      logPos[len] = i; logD[len++] = d; count[d]++;
      if (++total >= k) {
        while (thr > 0 && total - count[thr] >= k) { total -= count[thr]; count[thr] = 0; thr--; }
        cut = thr;
      } else cut = thr + 1;
    }
    // stable counting sort of the survivors
    const start = new Int32Array(thr + 2);
    for (let r = 0; r < len; r++) if (logD[r] <= thr) start[logD[r] + 1]++;
    for (let d = 1; d <= thr + 1; d++) start[d] += start[d - 1];
    for (let r = 0; r < len; r++) {
      const d = logD[r];
      if (d > thr) continue;
      const at = start[d]++;
      if (at < k) { outIds[q * k + at] = logPos[r]; outD[q * k + at] = d; }
    }
  }
  return { ids: outIds, distances: outD };
}

function best(runs, f) {
  let t = Infinity, r;
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    r = f();
    t = Math.min(t, now() - t0);
  }
  return [t, r];
}

const faissOk = (() => {
  try {
    execFileSync('python3', ['-c', 'import faiss'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const bw = bandwidth();
console.log(`kernel: ${native.hammingKernel()}; pool threads: ${native.buildInfo().poolThreads}; memory read bandwidth (memcmp, 1 thread): ${bw.toFixed(1)} GB/s`);
const rows = [];
const NQ = 1000, K = 100;
for (const N of quick ? [200_000] : [200_000, 2_000_000]) {
  for (const bits of [64, 128]) {
    const db = randomCodes(N, bits, 1 + bits + N);
    const qs = randomCodes(NQ, bits, 7 + bits);
    const index = new native.HammingIndex(bits);
    const [tAdd] = best(1, () => index.add(db));
    const res = {};
    for (const threads of [1, 2]) {
      const [t, r] = best(2, () => index.search(qs, { k: K, threads }));
      res[threads] = { t, r };
    }
    // Plain JS on fewer queries (the cost per pair does not depend on the query count).
    const jsQ = N >= 1_000_000 ? 20 : 100;
    const [tJs, js] = best(1, () => jsTopK(db.data, N, qs.data, jsQ, bits, K));
    for (let i = 0; i < jsQ * K; i++)
      if (BigInt(js.ids[i]) !== res[2].r.ids[i] || js.distances[i] !== res[2].r.distances[i]) throw new Error('JS and native results differ');
    let faiss = null;
    if (faissOk) {
      const dbFile = join(tmp, 'db.bin'), qFile = join(tmp, 'q.bin');
      writeFileSync(dbFile, db.data);
      writeFileSync(qFile, qs.data);
      faiss = JSON.parse(execFileSync('python3', [new URL('./faiss_search.py', import.meta.url).pathname, dbFile, String(N), qFile, String(NQ), String(bits), String(K), '1', '2'], { encoding: 'utf8' }));
      rmSync(dbFile);
    }
    const pairs = NQ * N;
    const row = (name, threads, seconds, q = NQ) => rows.push({ N, bits, impl: name, threads, nsPerPair: (seconds * 1e9) / (q * N), qps: q / seconds });
    row('ascmh HammingIndex', 1, res[1].t);
    row('ascmh HammingIndex', 2, res[2].t);
    row(`plain JS (${jsQ} queries)`, 1, tJs, jsQ);
    if (faiss) for (const f of faiss.runs) row(`FAISS ${faiss.version} IndexBinaryFlat (${faiss.build.trim()})`, f.threads, f.seconds);
    console.error(`N=${N} bits=${bits}: add ${(tAdd * 1e3).toFixed(0)} ms; ${pairs} pairs`);
  }
}

console.log('\n## Exact top-100, 1,000 queries\n');
console.log('| N | bits | implementation | threads | ns / (query,item) | QPS |');
console.log('| ---: | ---: | --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.N.toLocaleString('en')} | ${r.bits} | ${r.impl} | ${r.threads} | ${r.nsPerPair.toFixed(3)} | ${Math.round(r.qps).toLocaleString('en')} |`);
const ratio = (N, bits) => {
  const js = rows.find((r) => r.N === N && r.bits === bits && r.impl.startsWith('plain'));
  const n2 = rows.find((r) => r.N === N && r.bits === bits && r.impl.startsWith('ascmh') && r.threads === 2);
  const n1 = rows.find((r) => r.N === N && r.bits === bits && r.impl.startsWith('ascmh') && r.threads === 1);
  return js && n2 ? `N=${N.toLocaleString('en')} ${bits} bits: native 2 threads ${(js.nsPerPair / n2.nsPerPair).toFixed(1)}x faster than plain JS (1 thread); per thread ${(js.nsPerPair / n1.nsPerPair).toFixed(1)}x` : '';
};
console.log('');
for (const N of quick ? [200_000] : [200_000, 2_000_000]) for (const bits of [64, 128]) console.log(ratio(N, bits));

// ---- event-loop responsiveness during searchAsync; save / load ----------------------------------
{
  const N = quick ? 200_000 : 2_000_000, bits = 128;
  const index = new native.HammingIndex(bits);
  index.add(randomCodes(N, bits, 99));
  const qs = randomCodes(NQ, bits, 98);
  let last = now(), worst = 0;
  const timer = setInterval(() => {
    const t = now();
    worst = Math.max(worst, t - last - 0.001);
    last = t;
  }, 1);
  const t0 = now();
  await index.searchAsync(qs, { k: K });
  const tAsync = now() - t0;
  clearInterval(timer);
  console.log(`\nsearchAsync, ${NQ} queries vs ${N.toLocaleString('en')} x ${bits}-bit codes: ${(tAsync * 1e3).toFixed(0)} ms; worst extra delay of a 1 ms setInterval: ${(worst * 1e3).toFixed(1)} ms`);

  const path = join(tmp, 'index.bin');
  const [tSave] = best(1, () => index.save(path));
  // Alternate the two readers (page cache warm for both) and keep the best of each.
  let tRead = Infinity, tLoad = Infinity, buf;
  for (let i = 0; i < 5; i++) {
    let t = now();
    buf = readFileSync(path);
    tRead = Math.min(tRead, now() - t);
    buf = buf.length ? { length: buf.length } : buf;
    const loaded = new native.HammingIndex(8);
    t = now();
    loaded.load(path);
    tLoad = Math.min(tLoad, now() - t);
  }
  console.log(`save ${(tSave * 1e3).toFixed(0)} ms; file ${(buf.length / 2 ** 20).toFixed(0)} MiB: fs.readFileSync ${(tRead * 1e3).toFixed(1)} ms, HammingIndex load (checksum verified) ${(tLoad * 1e3).toFixed(1)} ms`);
}

// ---- mAP@all, 64 bits --------------------------------------------------------------------------
function labels(rows, classes, seed) {
  const r = rng(seed);
  const out = new Uint8Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    const m = 1 + (r() % 3);
    for (let j = 0; j < m; j++) out[i * classes + (r() % classes)] = 1;
  }
  return out;
}
// A typical argsort-per-query implementation (ties by database index).
function jsMap(q, qCount, db, dbCount, ql, dl, C) {
  const Q = new Int32Array(q.buffer, q.byteOffset, qCount * 2), D = new Int32Array(db.buffer, db.byteOffset, dbCount * 2);
  const pop = (x) => { x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24; };
  const dist = new Uint16Array(dbCount);
  let sum = 0;
  for (let a = 0; a < qCount; a++) {
    for (let i = 0; i < dbCount; i++) dist[i] = pop(Q[2 * a] ^ D[2 * i]) + pop(Q[2 * a + 1] ^ D[2 * i + 1]);
    const order = Array.from({ length: dbCount }, (_, i) => i).sort((x, y) => dist[x] - dist[y] || x - y);
    let hits = 0, ap = 0;
    for (let r = 0; r < dbCount; r++) {
      const i = order[r];
      let rel = false;
      for (let c = 0; c < C && !rel; c++) rel = ql[a * C + c] === 1 && dl[i * C + c] === 1;
      if (rel) ap += ++hits / (r + 1);
    }
    sum += hits ? ap / hits : 0;
  }
  return sum / qCount;
}
const extra = [];
console.log('\n## mAP@all, 2,000 queries, 64 bits, 10 classes\n');
console.log('| database | ascmh meanAveragePrecision (2 threads) | plain JS argsort per query (1 thread) |');
console.log('| ---: | ---: | ---: |');
for (const N of quick ? [18_000] : [18_000, 190_000]) {
  const C = 10, QN = 2000;
  const q = randomCodes(QN, 64, 5), db = randomCodes(N, 64, 6 + N);
  const ql = labels(QN, C, 8), dl = labels(N, C, 9 + N);
  const args = { queries: q.data, queryCount: QN, database: db.data, databaseCount: N, bits: 64, queryLabels: { rows: QN, cols: C, data: ql }, databaseLabels: { rows: N, cols: C, data: dl } };
  const [tMap, m] = best(2, () => native.meanAveragePrecision(args));
  const jsQ = N > 100_000 ? 20 : 200;
  const [tJs, mj] = best(1, () => jsMap(q.data, jsQ, db.data, N, ql, dl, C));
  const check = native.meanAveragePrecision({ ...args, queries: q.data.subarray(0, jsQ * 8), queryCount: jsQ, queryLabels: { rows: jsQ, cols: C, data: ql.subarray(0, jsQ * C) } });
  if (Math.abs(check.map - mj) > 1e-9) throw new Error(`mAP differs: ${check.map} vs ${mj}`);
  console.log(`| ${N.toLocaleString('en')} | ${(tMap * 1e3).toFixed(0)} ms (mAP ${m.map.toFixed(4)}) | ${((tJs * QN) / jsQ).toFixed(1)} s (extrapolated from ${jsQ} queries: ${(tJs * 1e3).toFixed(0)} ms) |`);
  const [tPn] = best(2, () => native.precisionRecallAtN({ ...args, ns: [1, 10, 50, 100, 500, 1000, 5000, 10000] }));
  const [tPr] = best(2, () => native.precisionRecallByRadius(args));
  extra.push(`database ${N.toLocaleString('en')}: precisionRecallAtN (8 list lengths) ${(tPn * 1e3).toFixed(0)} ms, precisionRecallByRadius (r = 0..64) ${(tPr * 1e3).toFixed(0)} ms`);
}
console.log('');
for (const line of extra) console.log(line);
rmSync(tmp, { recursive: true, force: true });
