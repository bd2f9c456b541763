// Hyper-parameters for asymmetric ranking, chosen on Wiki's TRAINING part only: the same split as
// bench/tune-wiki.mjs (500 training pairs, seeded, as validation queries against the other 1,673,
// train-codes protocol). The test split is never read. Each setting is scored with both rankings.
// Usage: node bench/tune-asymmetric-wiki.mjs [path/to/wiki] > tune.tsv
//   MODE=image (default: the image side's grid) | MODE=probe PATCHES='[{...}, ...]' (patches of the defaults)
//   SEEDS=3 (seeds per cell)
import { ASCMH, datasets, evaluate } from '../dist/index.js';

const dir = process.argv[2] ?? new URL('../../shared/data/wiki', import.meta.url).pathname;
const ds = await datasets.loadDataset(dir);
const { validation: val, fit } = datasets.validationSplit(ds, { size: 500, seed: 12345 });
const seeds = Array.from({ length: Number(process.env.SEEDS ?? 3) }, (_, i) => i);

// Image-to-text ranks the label codewords by the image projection, so the image side's settings
// (and lambdaImage, through which V follows the image features) are the ones that matter.
const grid = [];
if ((process.env.MODE ?? 'image') === 'image') {
  for (const imageAnchors of [500, 1000])
    for (const imageKernelWidth of [0.5, 0.7, 1, 1.4])
      for (const ridgeImage of [0.01, 0.1, 1, 10])
        grid.push({ imageAnchors, imageKernelWidth, ridgeImage });
} else {
  for (const patch of JSON.parse(process.env.PATCHES ?? '[{}]')) grid.push(patch);
}

const bitsList = [16, 32, 64, 128];
const header = ['setting', ...bitsList.flatMap((b) => [`asym i2t${b}`, `asym t2i${b}`]), 'asym i2t mean', ...bitsList.flatMap((b) => [`ham i2t${b}`, `ham t2i${b}`])];
console.log(header.join('\t'));
for (const options of grid) {
  const asym = [], ham = [];
  for (const bits of bitsList) {
    const a = [0, 0], h = [0, 0];
    for (const seed of seeds) {
      const model = await ASCMH.fit(fit, { ...options, bits, seed });
      const ra = await evaluate.evaluateCrossModal(model, val, fit, 'train-codes', { ranking: 'asymmetric' });
      const rh = await evaluate.evaluateCrossModal(model, val, fit, 'train-codes');
      a[0] += ra.imageToText / seeds.length;
      a[1] += ra.textToImage / seeds.length;
      h[0] += rh.imageToText / seeds.length;
      h[1] += rh.textToImage / seeds.length;
    }
    asym.push(...a);
    ham.push(...h);
  }
  const i2tMean = asym.filter((_, i) => i % 2 === 0).reduce((x, y) => x + y, 0) / bitsList.length;
  console.log([JSON.stringify(options), ...asym.map((c) => c.toFixed(4)), i2tMean.toFixed(4), ...ham.map((c) => c.toFixed(4))].join('\t'));
}
