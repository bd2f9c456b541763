// A server that trains and encodes in one process (issue 12): one-row encode and encodeAsync
// latency while a 30k-pair fit runs, and the event loop's worst delay.
//   node bench/encode-during-fit.mjs [--pairs 30000] [--repeats 3]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ASCMH, datasets } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAIRS = arg('pairs', 30000), REPEATS = arg('repeats', 3);
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => quantile(xs, 0.5);

console.log(JSON.stringify({ cpu: cpus()[0].model, kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE, pairs: PAIRS }));
// A model of the same shape as the fit's (500-D image, 1,000-D text features).
const model = await ASCMH.fit(datasets.nusWideLike({ n: 3000, seed: 1 }), { bits: 64 });
const big = datasets.nusWideLike({ n: PAIRS, seed: 2 });
const row = (m, i) => ({ rows: 1, cols: m.cols, data: m.data.subarray(i * m.cols, (i + 1) * m.cols) });

async function measure(during) {
  const sync = [], async = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let running = true;
  const fit = during ? ASCMH.fit(big, { bits: 64, seed: 3 }).finally(() => (running = false)) : null;
  const until = performance.now() + 4000;
  loop.enable();
  let i = 0;
  while (during ? running : performance.now() < until) {
    const x = row(big.image, i++ % PAIRS);
    let t = performance.now();
    model.encode('image', x);
    sync.push(performance.now() - t);
    t = performance.now();
    await model.encodeAsync('text', row(big.text, i % PAIRS));
    async.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 2));
  }
  loop.disable();
  if (fit) await fit;
  return { sync, async, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 };
}

const rows = [];
for (let r = 0; r < REPEATS; r++) {
  const idle = await measure(false);
  const busy = await measure(true);
  rows.push({
    idleSyncP99: quantile(idle.sync, 0.99), busySyncP50: median(busy.sync), busySyncP99: quantile(busy.sync, 0.99),
    busyAsyncP50: median(busy.async), busyAsyncP99: quantile(busy.async, 0.99), loopMaxMs: busy.loopMaxMs, loopP99Ms: busy.loopP99Ms,
    samples: busy.sync.length,
  });
}
const out = Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((x) => x[k]))]));
console.log('medians over', REPEATS, 'runs (ms):', JSON.stringify(out));
for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(16)} ${typeof v === 'number' ? v.toFixed(3) : v}`);
