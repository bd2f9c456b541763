// Training time and peak memory against training-set size on NUS-WIDE-shaped synthetic data
// (500-D visual words, 1,000-D tags, 10 concepts). Each configuration runs in a fresh child
// process so its peak resident memory (maxRSS) is its own.
// Usage: node bench/train-scaling.mjs [--sizes 3000,5000,...] [--bits 16,32,64,128] [--repeats 3] [--precision float64|float32]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (process.argv[2] === '--child') {
  const { ASCMH, datasets } = await import('../dist/index.js');
  const [n, bits, repeats, precision] = process.argv.slice(3).map((v, i) => (i === 3 ? v : Number(v)));
  const data = datasets.nusWideLike({ n, concepts: 10, seed: 1 });
  const before = process.resourceUsage().maxRSS;
  const seconds = [];
  for (let s = 0; s < repeats; s++) {
    const t = performance.now();
    await ASCMH.fit(data, { bits, seed: s, precision });
    seconds.push((performance.now() - t) / 1000);
  }
  seconds.sort((a, b) => a - b);
  const rss = process.resourceUsage().maxRSS;
  console.log(JSON.stringify({ n, bits, median: seconds[Math.floor(seconds.length / 2)], peakMiB: rss / 1024, dataMiB: before / 1024 }));
  process.exit(0);
}

const sizes = arg('sizes', '3000,5000,10000,20000,50000,100000,190000').split(',').map(Number);
const bitsList = arg('bits', '16,32,64,128').split(',').map(Number);
const repeats = Number(arg('repeats', '3'));
const precision = arg('precision', 'float64');
// The paper's Table 1 (NUS-WIDE, i7-10700K), seconds by pairs and bits.
const paper = {
  3000: { 16: 0.299, 32: 0.31, 64: 0.352, 128: 0.441 },
  5000: { 16: 0.684, 32: 0.703, 64: 0.746, 128: 0.911 },
  10000: { 16: 2.293, 32: 2.283, 64: 2.426, 128: 2.729 },
  20000: { 16: 7.662, 32: 7.85, 64: 8.13, 128: 8.558 },
};
console.log(`# ${cpus()[0].model}, ${cpus().length} cores; precision ${precision}; median of ${repeats}`);
console.log('pairs\tbits\tseconds\tus/pair\tpeak MiB\tpaper s');
for (const n of sizes)
  for (const bits of bitsList) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', n, bits, repeats, precision], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop());
    console.log([n, bits, r.median.toFixed(3), ((r.median / n) * 1e6).toFixed(2), r.peakMiB.toFixed(0), paper[n]?.[bits] ?? ''].join('\t'));
  }
