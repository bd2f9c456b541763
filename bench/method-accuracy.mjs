// A method's Wiki accuracy in every README cell from one set of fits: fixed split (the database is
// the training part, so one fit serves both protocols), seeds 0..n-1, mAP@all under both protocols
// and both rankings. Each cell equals `ascmh reproduce` (train-codes) / `ascmh eval --protocol
// encoded --ranking R` for the same method, which fit once per protocol and ranking.
// Usage: nice -n 15 node bench/method-accuracy.mjs --method ddash|csmh|... [--data <wiki>]
//   [--seeds 5] [--bits 16,32,64,128] [--options '{"gamma":50}'] [--json]
import { datasets, evaluate, train } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const method = arg('method', 'ddash');
const dir = arg('data', new URL('../../shared/data/wiki', import.meta.url).pathname);
const seeds = Number(arg('seeds', '5'));
const bitsList = arg('bits', '16,32,64,128').split(',').map(Number);
const options = JSON.parse(arg('options', '{}'));

const ds = await datasets.loadDataset(dir);
if (ds.split.database.join() !== ds.split.train.join()) throw new Error('this script needs database = train (one fit for both protocols)');
const tr = datasets.selectRows(ds, ds.split.train), q = datasets.selectRows(ds, ds.split.query);
const mean = (x) => x.reduce((a, b) => a + b, 0) / x.length;
const std = (x) => Math.sqrt(x.reduce((a, v) => a + (v - mean(x)) ** 2, 0) / Math.max(1, x.length - 1));
const cells = {};
for (const protocol of ['train-codes', 'encoded'])
  for (const ranking of ['hamming', 'asymmetric']) cells[`${protocol} ${ranking}`] = Object.fromEntries(bitsList.map((b) => [b, { i2t: [], t2i: [] }]));
for (const bits of bitsList) {
  for (let seed = 0; seed < seeds; seed++) {
    const model = await train(method, tr, { ...options, bits, seed });
    for (const key of Object.keys(cells)) {
      const [protocol, ranking] = key.split(' ');
      const r = await evaluate.evaluateCrossModal(model, q, tr, protocol, { ranking });
      cells[key][bits].i2t.push(r.imageToText);
      cells[key][bits].t2i.push(r.textToImage);
    }
  }
}
if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ method, options, seeds, cells }) + '\n');
} else {
  const f = (v) => v.toFixed(3).replace(/^0/, '');
  console.log(`${method.toUpperCase()} ${JSON.stringify(options)} on Wiki, ${seeds} seeds, mAP@all, bits ${bitsList.join('/')}: mean (largest std)`);
  for (const [key, byBits] of Object.entries(cells)) {
    for (const task of ['i2t', 't2i']) {
      const means = bitsList.map((b) => f(mean(byBits[b][task])));
      const worstStd = Math.max(...bitsList.map((b) => std(byBits[b][task])));
      console.log(`${key.padEnd(23)} ${task}  ${means.join(' / ')}  (std <= ${worstStd.toFixed(4)})`);
    }
  }
}
