// Hyper-parameter search on Wiki's TRAINING part only: 500 training pairs (seeded) act as
// validation queries against the other 1,673 (train-codes protocol). The test split is never read.
// Usage: node bench/tune-wiki.mjs [path/to/wiki] > tune.tsv
import { ASCMH, datasets, evaluate } from '../dist/index.js';

const dir = process.argv[2] ?? new URL('../../shared/data/wiki', import.meta.url).pathname;
const ds = await datasets.loadDataset(dir);
const { validation: val, fit } = datasets.validationSplit(ds, { size: 500, seed: 12345 });

// B depends on the labels only (through V G^T), so image->text depends only on the image-side
// settings and text->image only on the text side: pairing the two sides' candidates in one list
// covers the full grid of both. MODE=image or MODE=text picks which side's list is scanned.
const side = process.env.MODE ?? 'image';
const grid = [];
if (side === 'image') {
  for (const imageAnchors of [500, 1000])
    for (const imageKernelWidth of [0.5, 0.7, 1, 1.4])
      for (const ridgeImage of [0.3, 1, 3])
        grid.push({ imageAnchors, imageKernelWidth, ridgeImage, textAnchors: 300, ridgeText: 0.03 });
} else if (side === 'probe') {
  const base = { imageAnchors: 500, imageKernelWidth: 0.7, ridgeImage: 1, textAnchors: 300, textKernelWidth: 0.5, ridgeText: 0.001 };
  const patches = process.env.PATCHES ? JSON.parse(process.env.PATCHES) : [{}, { iterations: 3 }, { iterations: 30 }, { omega: 1e4 }, { omega: 1e6 }, { imageAnchors: 800 }, { imageAnchors: 1000, imageKernelWidth: 0.5 }, { alpha: 100 }];
  for (const patch of patches)
    grid.push({ ...base, ...patch });
} else if (side === 'text-fine') {
  for (const textKernelWidth of [0.25, 0.35, 0.5])
    for (const ridgeText of [0.0003, 0.001, 0.003])
      grid.push({ imageAnchors: 500, imageKernelWidth: 0.7, ridgeImage: 1, textAnchors: 300, textKernelWidth, ridgeText });
} else {
  for (const textAnchors of [300, 1000])
    for (const textKernelWidth of [0.5, 0.7, 1, 1.4])
      for (const ridgeText of [0.003, 0.01, 0.03, 0.1])
        grid.push({ imageAnchors: 500, ridgeImage: 1, textAnchors, textKernelWidth, ridgeText });
}

const bitsList = [16, 32, 64, 128];
console.log(['setting', ...bitsList.flatMap((b) => [`i2t${b}`, `t2i${b}`]), 'score', 'seconds128'].join('\t'));
for (const options of grid) {
  const cells = [];
  let seconds128 = 0;
  for (const bits of bitsList) {
    let i2t = 0, t2i = 0;
    for (const seed of [0, 1]) {
      const t = performance.now();
      const model = await ASCMH.fit(fit, { ...options, bits, seed });
      if (bits === 128) seconds128 += (performance.now() - t) / 2000;
      const r = await evaluate.evaluateCrossModal(model, val, fit, 'train-codes');
      i2t += r.imageToText / 2;
      t2i += r.textToImage / 2;
    }
    cells.push(i2t, t2i);
  }
  const score = cells.reduce((a, b) => a + b, 0) / cells.length;
  console.log([JSON.stringify(options), ...cells.map((c) => c.toFixed(4)), score.toFixed(4), seconds128.toFixed(3)].join('\t'));
}
