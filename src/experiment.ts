import { ASCMH } from './model.js';
import type { TrainingData } from './model.js';
import type { AscmhOptions } from './options.js';
import { type Protocol, evaluateCrossModal } from './evaluate.js';

export interface ExperimentSpec {
  train: TrainingData;
  query: TrainingData;
  /** Database for the 'encoded' protocol (default: the training set). */
  database?: TrainingData;
  bits: number[];
  seeds: number;
  protocol: Protocol;
  options?: Omit<AscmhOptions, 'bits' | 'seed'>;
  onFit?: (bits: number, seed: number, seconds: number) => void;
}

export interface ExperimentRow {
  bits: number;
  i2t: number;
  t2i: number;
  i2tStd: number;
  t2iStd: number;
  trainSeconds: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Trains at every code length with seeds 0..seeds-1 and reports mean mAP of both tasks. */
export async function runExperiment(spec: ExperimentSpec): Promise<ExperimentRow[]> {
  const rows: ExperimentRow[] = [];
  for (const bits of spec.bits) {
    const i2t: number[] = [], t2i: number[] = [], seconds: number[] = [];
    for (let seed = 0; seed < spec.seeds; seed++) {
      const started = performance.now();
      const model = await ASCMH.fit(spec.train, { ...spec.options, bits, seed });
      const took = (performance.now() - started) / 1000;
      seconds.push(took);
      spec.onFit?.(bits, seed, took);
      const database = spec.protocol === 'train-codes' ? spec.train : (spec.database ?? spec.train);
      const r = await evaluateCrossModal(model, spec.query, database, spec.protocol);
      i2t.push(r.imageToText);
      t2i.push(r.textToImage);
    }
    rows.push({ bits, i2t: mean(i2t), t2i: mean(t2i), i2tStd: std(i2t), t2iStd: std(t2i), trainSeconds: median(seconds) });
  }
  return rows;
}
