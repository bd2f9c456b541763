// The demo: synthetic data, training at several code lengths, mAP under both protocols, and an
// exact Hamming search of image queries against the learned text-side database codes.
import { splitQueries, synthetic } from '../data/datasets.js';
import { runExperiment, type ExperimentRow } from './experiment.js';
import { HammingIndex } from '../search/hamming-index.js';
import { ASCMH } from '../train/ascmh.js';
import type { Protocol } from '../eval/evaluate.js';

export interface DemoOptions {
  n: number;
  queries: number;
  bits: number[];
  log?: (line: string) => void;
}

function table(rows: ExperimentRow[], title: string, log: (line: string) => void) {
  log(title);
  log('  bits   image->text   text->image   train s');
  for (const r of rows) {
    log(`  ${String(r.bits).padStart(4)}   ${r.i2t.toFixed(4).padStart(11)}   ${r.t2i.toFixed(4).padStart(11)}   ${r.trainSeconds.toFixed(3).padStart(7)}`);
  }
}

export async function runDemo({ n, queries, bits, log = console.log }: DemoOptions): Promise<void> {
  const data = synthetic({ n, classes: 10, imageDim: 128, textDim: 32, multiLabel: true, seed: 7 });
  const { train, query } = splitQueries(data, queries);
  log(`ascmh demo: ${train.labels.rows} training pairs, ${query.labels.rows} queries, synthetic (10 classes, multi-label)`);
  for (const protocol of ['train-codes', 'encoded'] as Protocol[]) {
    const rows = await runExperiment({ train, query, bits, seeds: 1, protocol });
    const db = protocol === 'train-codes' ? 'learned training codes B' : 'training items encoded by the hash functions';
    table(rows, `\nmAP@all, protocol ${protocol} (database: ${db})`, log);
  }

  const searchBits = bits[bits.length - 1];
  const model = await ASCMH.fit(train, { bits: searchBits });
  const index = new HammingIndex({ bits: searchBits });
  index.add(model.trainingCodes);
  const codes = await model.encodeAsync('image', query.image);
  const started = performance.now();
  const all = await index.searchAsync(codes, { k: 10 });
  const ms = performance.now() - started;
  log(`\nsearch: ${codes.count} image queries, top 10 of ${index.size} codes (${searchBits} bits, ${HammingIndex.kernel} kernel): ${ms.toFixed(1)} ms`);
  const c = train.labels.cols;
  const labelsOf = (rows: Uint8Array, i: number) => Array.from({ length: c }, (_, j) => j).filter((j) => rows[i * c + j]);
  const first = index.search({ ...codes, count: 3, data: codes.data.subarray(0, 3 * codes.data.length / codes.count) }, { k: 5 });
  for (let q = 0; q < 3; q++) {
    const mine = labelsOf(query.labels.data, q);
    const hits = Array.from({ length: first.k }, (_, r) => {
      const id = Number(first.ids[q * first.k + r]);
      const shared = labelsOf(train.labels.data, id).some((l) => mine.includes(l));
      return `${id}(d=${first.distances[q * first.k + r]}${shared ? ', relevant' : ''})`;
    });
    log(`  image query ${q} [classes ${mine.join(',')}] -> texts ${hits.join(' ')}`);
  }
  const relevantAtTen = Array.from({ length: all.count * all.k }, (_, i) => {
    const q = Math.floor(i / all.k);
    const id = Number(all.ids[i]);
    const mine = labelsOf(query.labels.data, q);
    return labelsOf(train.labels.data, id).some((l) => mine.includes(l)) ? 1 : 0;
  }).reduce<number>((a, b) => a + b, 0);
  log(`  precision of the top 10 over all queries: ${(relevantAtTen / (all.count * all.k)).toFixed(4)}`);
}
