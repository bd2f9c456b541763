// Hamming kernel benchmark: ns per (query, item) pair of every kernel this CPU has, one thread,
// database in cache (16k codes), at 64 / 128 / 256 bits, top-k with k = 10 and k = 1000, a radius
// search (ns per result) and the distance kernel (through mAP of a few queries).
// Run after `npm run build` (uses build/Release):   node bench/kernels.mjs [--reps N] [--kernels a,b]
// The machine is shared and noisy: every figure is the median of N runs (default 9).
import { createRequire } from 'node:module';
import os from 'node:os';

process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
const require = createRequire(import.meta.url);
const native = require('../build/Release/ascmh.node');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const reps = Number(arg('reps', 9));
const wanted = arg('kernels', 'generic,popcnt,avx2,avx512').split(',');
const widths = arg('bits', '64,128,256').split(',').map(Number);
const N = Number(arg('n', 16384));
const now = () => Number(process.hrtime.bigint());

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}
function randomCodes(count, bits, seed) {
  const r = rng(seed);
  const w32 = 2 * Math.ceil(bits / 64);
  const words = new Uint32Array(count * w32);
  for (let i = 0; i < words.length; i++) words[i] = r();
  // Clear the bits above `bits` in each code's last word.
  if (bits % 64) {
    for (let i = 0; i < count; i++) {
      for (let b = bits; b < w32 * 32; b++) words[i * w32 + (b >> 5)] &= ~(1 << (b & 31)) >>> 0;
    }
  }
  return { count, bits, data: new Uint8Array(words.buffer) };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
/** Median ns of fn() over `reps` runs after one warm-up run. */
function time(fn, runs = reps) {
  fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    fn();
    t.push(now() - t0);
  }
  return median(t);
}

const best = native.hammingKernel();  // the default: the best kernel this CPU has
const kernels = wanted.filter((k) => native._setHammingKernel(k));
const missing = wanted.filter((k) => !kernels.includes(k));
native._setHammingKernel(best);
console.log(`CPU: ${os.cpus()[0].model} (${os.cpus().length} logical CPUs); node ${process.version}`);
console.log(`default kernel: ${best}; measured: ${kernels.join(', ')}${missing.length ? `; not on this CPU: ${missing.join(', ')}` : ''}`);
console.log(`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} (search uses no BLAS); one thread; ` +
  `database ${N} codes (in cache); median of ${reps} runs; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const rows = [];
for (const kernel of kernels) {
  native._setHammingKernel(kernel);
  const slow = kernel === 'generic';
  for (const bits of widths) {
    const db = randomCodes(N, bits, bits * 31 + 1);
    const index = new native.HammingIndex(bits);
    index.add(db);
    const NQ = slow ? 32 : 128;
    const qs = randomCodes(NQ, bits, bits * 17 + 5);
    const pairs = NQ * N;
    const runs = slow ? Math.min(reps, 3) : reps;
    const k10 = time(() => index.search(qs, { k: 10, threads: 1 }), runs) / pairs;
    const k1000 = time(() => index.search(qs, { k: 1000, threads: 1 }), runs) / pairs;
    // Radius search: about a quarter of the database within the radius (bits / 2 - 0.67 sigma).
    const radius = Math.round(bits / 2 - 0.67 * Math.sqrt(bits) / 2);
    const rq = randomCodes(16, bits, bits * 13 + 7);
    const got = index.searchRadius(rq, { radius, threads: 1 });
    const results = got.ids.length;
    const tr = time(() => index.searchRadius(rq, { radius, threads: 1 }), runs);
    // The same queries with k = 1 (scan cost without results), to split off the scan.
    const tscan = time(() => index.search(rq, { k: 1, threads: 1 }), runs);
    // Distance kernel through mAP: 8 queries (one pool chunk, so one thread), 4 label classes.
    const mq = randomCodes(8, bits, bits * 11 + 3);
    const classes = 4;
    const lab = (n, seed) => {
      const r = rng(seed), d = new Uint8Array(n * classes);
      for (let i = 0; i < n; i++) d[i * classes + (r() % classes)] = 1;
      return { rows: n, cols: classes, data: d };
    };
    const MN = 131072;  // mAP database: 1 MiB of 64-bit codes, whatever --n says
    const mapDb = randomCodes(MN, bits, bits * 7 + 9);
    const margs = { queries: mq.data, queryCount: 8, database: mapDb.data, databaseCount: MN, bits,
      queryLabels: lab(8, 1), databaseLabels: lab(MN, 2) };
    const tmap = time(() => native.meanAveragePrecision(margs), runs) / (8 * MN);
    rows.push({ kernel, bits, k10, k1000, ratio: k1000 / k10, results, radiusNsPerResult: tr / results,
      radiusMarginal: (tr - tscan) / results, map: tmap });
  }
}
native._setHammingKernel(best);

const f = (x, d = 3) => x.toFixed(d);
console.log(`\nns per (query, item) pair, top-k search (128 queries x ${N} codes); radius search of 16 queries;`);
console.log('mAP of 8 queries x 131k codes (ns per pair: distance kernel + AP pass)\n');
console.log('| kernel | bits | k=10 | k=1000 | k1000/k10 | radius results | radius ns/result | radius ns/result beyond the scan | mAP ns/pair |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(`| ${r.kernel} | ${r.bits} | ${f(r.k10)} | ${f(r.k1000)} | ${f(r.ratio, 2)} | ${r.results} | ${f(r.radiusNsPerResult, 1)} | ${f(r.radiusMarginal, 1)} | ${f(r.map)} |`);
