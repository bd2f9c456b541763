// Issue 5's checks at NUS-WIDE size (NUS-WIDE-shaped synthetic data, 10 concepts):
// 1. Cancelling a 190k-pair fit: how long after the abort the Promise rejects, and whether the
//    process's resident memory returns to its level before the fit.
// 2. Accuracy at scale: mAP@all at 64 bits of 2,000 queries against the 190k database (encoded
//    protocol), for a model trained on 10k pairs and one trained on all 190k.
// Usage: node bench/scale-checks.mjs [--precision float64|float32]
import { readFileSync } from 'node:fs';
import { ASCMH, datasets, evaluate } from '../dist/index.js';

const i = process.argv.indexOf('--precision');
const precision = i > 0 ? process.argv[i + 1] : 'float64';
const rssMiB = () => {
  // current resident set (process.memoryUsage().rss is the same number, read from /proc)
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  return kb / 1024;
};

const queryCount = 2000, n = 190000;
const all = datasets.nusWideLike({ n: n + queryCount, concepts: 10, seed: 1 });
const queries = datasets.selectRows(all, Array.from({ length: queryCount }, (_, k) => k));
const database = datasets.selectRows(all, Array.from({ length: n }, (_, k) => queryCount + k));
console.log(`# NUS-WIDE-shaped, ${n} database/training pairs, ${queryCount} queries, precision ${precision}`);

// 1. Cancellation, once during the feature pass (500 ms in) and once after the first iteration.
async function cancelled(when) {
  globalThis.gc?.();
  const before = rssMiB();
  const controller = new AbortController();
  let abortedAt = 0;
  const abort = () => {
    abortedAt = performance.now();
    controller.abort();
  };
  const timer = when === 'features' ? setTimeout(abort, 500) : undefined;
  const onProgress = when === 'iteration' ? (p) => p.iteration === 1 && abort() : undefined;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 20);
  const outcome = await ASCMH.fit(database, { bits: 128, seed: 0, precision }, { signal: controller.signal, onProgress }).then(
    () => 'finished',
    (e) => e.code,
  );
  const after = performance.now() - abortedAt;
  clearTimeout(timer);
  clearInterval(sampler);
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log(`cancel in the ${when === 'features' ? 'feature pass' : 'iterations'}: ${outcome} ${after.toFixed(0)} ms after the abort; RSS ${before.toFixed(0)} MiB before, up to ${peak.toFixed(0)} MiB during, ${rssMiB().toFixed(0)} MiB after`);
}
await cancelled('features');
await cancelled('iteration');

// 2. Accuracy at scale.
const sizes = [10000, n];
for (const size of sizes) {
  const train = size === n ? database : datasets.selectRows(database, Array.from({ length: size }, (_, k) => k));
  const t = performance.now();
  const model = await ASCMH.fit(train, { bits: 64, seed: 0, precision });
  const seconds = (performance.now() - t) / 1000;
  const r = await evaluate.evaluateCrossModal(model, queries, database, 'encoded');
  console.log(`train ${size} pairs (${seconds.toFixed(2)} s): mAP@all 64 bits, image->text ${r.imageToText.toFixed(4)}, text->image ${r.textToImage.toFixed(4)}`);
}
