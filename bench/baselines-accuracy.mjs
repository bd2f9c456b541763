// BATCH and SCRATCH with the library's own random state: mean mAP over seeds on Wiki (train-codes
// protocol), beside the authors' code run in Octave (5 seeds; ../shared/docs/baselines.md) and the
// ASCMH paper's Table 2 rows.
// Usage: node bench/baselines-accuracy.mjs [--data ../shared/data/wiki] [--seeds 5] [--bits 16,32,64,128] [--json]
import { datasets, evaluate, train } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const dir = arg('data', new URL('../../shared/data/wiki', import.meta.url).pathname);
const seeds = Number(arg('seeds', '5'));
const bitsList = arg('bits', '16,32,64,128').split(',').map(Number);
const OCTAVE = {
  batch: { i2t: [0.359, 0.378, 0.392, 0.393], t2i: [0.734, 0.75, 0.756, 0.757] },
  scratch: { i2t: [0.361, 0.374, 0.384, 0.39], t2i: [0.741, 0.759, 0.761, 0.763] },
};
const PAPER = {
  batch: { i2t: [0.3553, 0.3781, 0.3837, 0.394], t2i: [0.7382, 0.7448, 0.7586, 0.7502] },
  scratch: { i2t: [0.3428, 0.3497, 0.3662, 0.3613], t2i: [0.7398, 0.7538, 0.7496, 0.7513] },
};
const ds = await datasets.loadDataset(dir);
const tr = datasets.selectRows(ds, ds.split.train), q = datasets.selectRows(ds, ds.split.query);
const mean = (x) => x.reduce((a, b) => a + b, 0) / x.length;
const std = (x) => Math.sqrt(x.reduce((a, v) => a + (v - mean(x)) ** 2, 0) / Math.max(1, x.length - 1));
const out = [];
for (const method of ['batch', 'scratch']) {
  for (const bits of bitsList) {
    const i2t = [], t2i = [], secs = [];
    for (let seed = 0; seed < seeds; seed++) {
      const t = performance.now();
      const m = await train(method, tr, { bits, seed });
      secs.push((performance.now() - t) / 1000);
      const r = await evaluate.evaluateCrossModal(m, q, tr, 'train-codes');
      i2t.push(r.imageToText);
      t2i.push(r.textToImage);
    }
    const at = [16, 32, 64, 128].indexOf(bits);
    const row = { method, bits, i2t: mean(i2t), i2tStd: std(i2t), t2i: mean(t2i), t2iStd: std(t2i), octave: at >= 0 ? { i2t: OCTAVE[method].i2t[at], t2i: OCTAVE[method].t2i[at] } : null, paper: at >= 0 ? { i2t: PAPER[method].i2t[at], t2i: PAPER[method].t2i[at] } : null, medianSeconds: secs.sort((a, b) => a - b)[Math.floor(secs.length / 2)] };
    out.push(row);
    if (!process.argv.includes('--json')) {
      const f = (v) => v.toFixed(4);
      console.log(`${method.padEnd(8)} ${String(bits).padStart(4)}  I2T ${f(row.i2t)} ± ${f(row.i2tStd)} (Octave ${row.octave?.i2t ?? '-'}, diff ${row.octave ? (row.i2t - row.octave.i2t >= 0 ? '+' : '') + f(row.i2t - row.octave.i2t) : '-'}; paper ${row.paper?.i2t ?? '-'})   T2I ${f(row.t2i)} ± ${f(row.t2iStd)} (Octave ${row.octave?.t2i ?? '-'}, diff ${row.octave ? (row.t2i - row.octave.t2i >= 0 ? '+' : '') + f(row.t2i - row.octave.t2i) : '-'}; paper ${row.paper?.t2i ?? '-'})  ${row.medianSeconds.toFixed(3)} s`);
    }
  }
}
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(out) + '\n');
