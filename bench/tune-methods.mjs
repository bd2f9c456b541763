// Hyper-parameter check of a method's defaults on Wiki's TRAINING part only: the validation split
// of bench/tune-wiki.mjs (datasets.validationSplit, seed 12345: 500 training pairs as validation
// queries against the other 1,673). The test queries are never read. Each candidate is the
// defaults with a few keys changed; every cell is mAP@all with Hamming ranking, both directions,
// both protocols (train-codes: database = the learned codes of the 1,673; encoded: the 1,673
// encoded by the other modality's hash function).
// Score = mean over protocols, directions and bits. "diff" is the candidate's score minus the
// defaults', paired by seed, with its standard error over seeds; "tc diff" and "enc diff" are the
// same difference per protocol, "worst task" the lowest of the four (protocol, direction) means'
// differences. A candidate is marked '*' (clearly better) only when it beats the defaults by more
// than 0.003 and by more than twice that standard error, and no task loses more than 0.005 (about
// a task mean's noise over seeds): a trade of one task for another is not a clear win.
// Usage: nice -n 15 node bench/tune-methods.mjs --method ddash|csmh|ascmh [--data <wiki>]
//   [--bits 32,64] [--seeds 3] [--candidates '[{"gamma":10}, ...]'] [--json]
import { datasets, evaluate, train } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const method = arg('method', 'ddash');
const dir = arg('data', new URL('../../shared/data/wiki', import.meta.url).pathname);
const bitsList = arg('bits', '32,64').split(',').map(Number);
const seeds = Array.from({ length: Number(arg('seeds', '3')) }, (_, i) => i);

// A few values of each key hyper-parameter around its default, one key at a time.
const GRIDS = {
  ddash: [
    {},
    { learningRate: 3e-4 }, { learningRate: 3e-3 },
    { finalLearningRate: 1e-5 }, { finalLearningRate: 3e-4 },
    { iterations: 15 }, { iterations: 50 },
    { epochs: 1 }, { epochs: 6 },
    { hiddenImage: 64, hiddenText: 64 }, { hiddenImage: 256, hiddenText: 256 },
    { gamma: 10 }, { gamma: 200 },
    { mu: 0 }, { mu: 1e3 },
    { weightDecay: 0 }, { weightDecay: 1e-3 },
    { batchSize: 32 }, { batchSize: 128 },
  ],
  csmh: [
    {},
    { alpha: 0 }, { alpha: 5 },
    { beta: 3 }, { beta: 30 },
    { ridge: 0.01 }, { ridge: 1 },
    { eta: 1 },
    { imageAnchors: 500 }, { textAnchors: 300 },
    { imageKernelWidth: 0.7 }, { imageKernelWidth: 1.4 },
    { textKernelWidth: 0.5 }, { textKernelWidth: 1.4 },
    { iterations: 5 }, { iterations: 20 },
  ],
  ascmh: [{}, { imageKernelWidth: 1 }, { ridgeText: 0.01 }],
};
if (!GRIDS[method]) throw new Error(`--method must be one of ${Object.keys(GRIDS).join(', ')}`);
const grid = JSON.parse(arg('candidates', 'null')) ?? GRIDS[method];
// The defaults first: every other row is compared with them.
const isBase = (c) => Object.keys(c).length === 0;
grid.sort((a, b) => Number(isBase(b)) - Number(isBase(a)));
if (!isBase(grid[0])) grid.unshift({});

const ds = await datasets.loadDataset(dir);
const { fit, validation } = datasets.validationSplit(ds, { size: 500, seed: 12345 });
const protocols = ['train-codes', 'encoded'];
const mean = (x) => x.reduce((a, b) => a + b, 0) / x.length;
const std = (x) => Math.sqrt(x.reduce((a, v) => a + (v - mean(x)) ** 2, 0) / Math.max(1, x.length - 1));

/** cells[protocol][bits] = { i2t: [per seed], t2i: [per seed] }; perSeed[protocol or 'all'] = score of each seed. */
async function measure(options) {
  const cells = {}, seconds = [];
  const keys = ['all', ...protocols, ...protocols.flatMap((p) => [`${p} i2t`, `${p} t2i`])];
  const perSeed = Object.fromEntries(keys.map((k) => [k, seeds.map(() => [])]));
  for (const p of protocols) cells[p] = {};
  for (const bits of bitsList) {
    for (const p of protocols) cells[p][bits] = { i2t: [], t2i: [] };
    for (const [s, seed] of seeds.entries()) {
      const t = performance.now();
      const model = await train(method, fit, { ...options, bits, seed });
      seconds.push((performance.now() - t) / 1000);
      for (const p of protocols) {
        const r = await evaluate.evaluateCrossModal(model, validation, fit, p);
        cells[p][bits].i2t.push(r.imageToText);
        cells[p][bits].t2i.push(r.textToImage);
        perSeed.all[s].push(r.imageToText, r.textToImage);
        perSeed[p][s].push(r.imageToText, r.textToImage);
        perSeed[`${p} i2t`][s].push(r.imageToText);
        perSeed[`${p} t2i`][s].push(r.textToImage);
      }
    }
  }
  return { cells, perSeed: Object.fromEntries(Object.entries(perSeed).map(([k, v]) => [k, v.map(mean)])), seconds: mean(seconds) };
}

const rows = [];
const f = (v) => v.toFixed(4);
const sign = (v) => `${v >= 0 ? '+' : ''}${f(v)}`;
const header = ['setting', ...protocols.flatMap((p) => bitsList.flatMap((b) => [`${p} i2t${b}`, `${p} t2i${b}`])), 'train-codes mean', 'encoded mean', 'score', 'diff ± se', 'tc diff', 'enc diff', 'worst task', 'fit s'];
if (!process.argv.includes('--json')) console.log(header.join('\t'));
let base;
for (const options of grid) {
  const m = await measure(options);
  if (Object.keys(options).length === 0) base = m;
  const protocolMean = (p) => mean(bitsList.flatMap((b) => [mean(m.cells[p][b].i2t), mean(m.cells[p][b].t2i)]));
  const score = mean(m.perSeed.all);
  const diffOf = (k) => m.perSeed[k].map((v, i) => v - base.perSeed[k][i]);
  const d = diffOf('all');
  const diff = mean(d), se = std(d) / Math.sqrt(d.length);
  const tcDiff = mean(diffOf('train-codes')), encDiff = mean(diffOf('encoded'));
  const worstTask = Math.min(...protocols.flatMap((p) => [mean(diffOf(`${p} i2t`)), mean(diffOf(`${p} t2i`))]));
  const better = diff > 0.003 && diff > 2 * se && worstTask >= -0.005;
  const row = { options, cells: m.cells, trainCodesMean: protocolMean('train-codes'), encodedMean: protocolMean('encoded'), score, scoreStd: std(m.perSeed.all), diff, se, tcDiff, encDiff, worstTask, better, seconds: m.seconds };
  rows.push(row);
  if (!process.argv.includes('--json')) {
    const cellText = protocols.flatMap((p) => bitsList.flatMap((b) => [f(mean(m.cells[p][b].i2t)), f(mean(m.cells[p][b].t2i))]));
    console.log([JSON.stringify(options), ...cellText, f(row.trainCodesMean), f(row.encodedMean), f(score), `${sign(diff)} ± ${f(se)}${better ? ' *' : ''}`, sign(tcDiff), sign(encDiff), sign(worstTask), m.seconds.toFixed(2)].join('\t'));
  }
}
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ method, bits: bitsList, seeds: seeds.length, split: { size: 500, seed: 12345 }, rows }) + '\n');
