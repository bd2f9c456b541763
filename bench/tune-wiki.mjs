// Hyper-parameter search on Wiki's TRAINING part only: 500 training pairs (seeded) act as
// validation queries against the other 1,673 (train-codes protocol). The test split is never read.
// Usage: node bench/tune-wiki.mjs [path/to/wiki] > tune.tsv
import { ASCMH, datasets, evaluate } from '../dist/index.js';

const dir = process.argv[2] ?? new URL('../../shared/data/wiki', import.meta.url).pathname;
const ds = await datasets.loadDataset(dir);
const rng = new datasets.SeededRandom(12345);
const trainRows = [...ds.split.train];
for (let i = trainRows.length - 1; i > 0; i--) {
  const j = rng.int(i + 1);
  [trainRows[i], trainRows[j]] = [trainRows[j], trainRows[i]];
}
const val = datasets.selectRows(ds, trainRows.slice(0, 500));
const fit = datasets.selectRows(ds, trainRows.slice(500));

// Ridge only shapes the hash functions, and image->text depends only on the image one (and
// text->image on the text one), so pairing the ridge values covers the full grid of the two.
const grid = [];
for (const imageAnchors of [500, 1000])
  for (const textAnchors of [300, 1000])
    for (const [ridgeImage, ridgeText] of [[0.3, 0.01], [1, 0.03], [3, 0.1]])
      grid.push({ imageAnchors, textAnchors, ridgeImage, ridgeText });

const bitsList = [16, 32, 64, 128];
console.log(['imageAnchors', 'textAnchors', 'ridgeImage', 'ridgeText', ...bitsList.flatMap((b) => [`i2t${b}`, `t2i${b}`]), 'score', 'seconds128'].join('\t'));
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
  console.log([options.imageAnchors, options.textAnchors, options.ridgeImage, options.ridgeText, ...cells.map((c) => c.toFixed(4)), score.toFixed(4), seconds128.toFixed(3)].join('\t'));
}
