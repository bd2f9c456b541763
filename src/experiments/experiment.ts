import type { Method, TrainingData } from '../train/model.js';
import { train } from '../train/trainers.js';
import type { AscmhOptions } from '../train/ascmh-options.js';
import { type Protocol, type Ranking, type RetrievalCurves, evaluateCrossModal } from '../eval/evaluate.js';
import { fail } from '../core/errors.js';

/** An experiment: training, query and database sets, code lengths, seeds, protocol, method. */
export interface ExperimentSpec {
  train: TrainingData;
  query: TrainingData;
  /** Database for the 'encoded' protocol (default: the training set). */
  database?: TrainingData;
  bits: number[];
  seeds: number;
  protocol: Protocol;
  /** The method to train (default 'ascmh'); options are that method's. */
  method?: Method;
  options?: Omit<AscmhOptions, 'bits' | 'seed'> | Record<string, unknown>;
  /** Also compute the paper's curves (top-N precision at these N, precision-recall by radius). */
  curves?: { ns: number[] };
  /**
   * Rankings to evaluate every fit with (default ['hamming']): the row's i2t / t2i are the first's,
   * and `rankings` holds each. Curves are computed with the Hamming ranking.
   */
  rankings?: Ranking[];
  /** Called after each fit with its code length, seed and wall time. */
  onFit?: (bits: number, seed: number, seconds: number) => void;
  signal?: AbortSignal;
}

/** Curves averaged over seeds (plain arrays, ready for JSON). */
export interface AveragedCurves {
  topN: { ns: number[]; precision: number[]; recall: number[] };
  /** Index r is Hamming radius r; precision is null where no query retrieved anything. */
  radius: { precision: (number | null)[]; recall: number[] };
}

/** One code length of an experiment: mean and std of mAP over the seeds, median fit time, curves. */
export interface ExperimentRow {
  bits: number;
  i2t: number;
  t2i: number;
  i2tStd: number;
  t2iStd: number;
  trainSeconds: number;
  curves?: { i2t: AveragedCurves; t2i: AveragedCurves };
  /** The mAP of every ranking of spec.rankings. */
  rankings?: Partial<Record<Ranking, RankingCells>>;
}

/** mAP of one ranking at one code length: mean and std over the seeds, per task. */
export interface RankingCells {
  i2t: number;
  t2i: number;
  i2tStd: number;
  t2iStd: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Element-wise mean of equal-length series, ignoring NaN entries (null where all are NaN). */
function meanSeries(series: ArrayLike<number>[]): (number | null)[] {
  return Array.from({ length: series[0].length }, (_, i) => {
    const values = series.map((s) => s[i]).filter((v) => !Number.isNaN(v));
    return values.length ? mean(values) : null;
  });
}

function averageCurves(runs: RetrievalCurves[]): AveragedCurves {
  return {
    topN: {
      ns: runs[0].topN.ns,
      precision: meanSeries(runs.map((r) => r.topN.precision)) as number[],
      recall: meanSeries(runs.map((r) => r.topN.recall)) as number[],
    },
    radius: { precision: meanSeries(runs.map((r) => r.radius.precision)), recall: meanSeries(runs.map((r) => r.radius.recall)) as number[] },
  };
}

/** Trains at every code length with seeds 0..seeds-1 and reports mean mAP of both tasks. */
export async function runExperiment(spec: ExperimentSpec): Promise<ExperimentRow[]> {
  if (spec === null || typeof spec !== 'object') fail('ERR_ASCMH_OPTION', 'runExperiment needs a spec object');
  if (!Number.isInteger(spec.seeds) || spec.seeds < 1 || spec.seeds > 10000) {
    fail('ERR_ASCMH_OPTION', `seeds must be an integer from 1 to 10000, got ${String(spec.seeds)}`);
  }
  if (!Array.isArray(spec.bits) || spec.bits.length === 0) fail('ERR_ASCMH_BITS', 'bits must be a non-empty list of code lengths');
  if (spec.protocol !== 'train-codes' && spec.protocol !== 'encoded') {
    fail('ERR_ASCMH_OPTION', `protocol must be 'train-codes' or 'encoded', got ${String(spec.protocol)}`);
  }
  const rankings = spec.rankings ?? ['hamming'];
  if (!Array.isArray(rankings) || rankings.length === 0 || rankings.some((r) => r !== 'hamming' && r !== 'asymmetric')) {
    fail('ERR_ASCMH_OPTION', "rankings must be a non-empty list of 'hamming' and 'asymmetric'");
  }
  if (spec.curves && !rankings.includes('hamming')) fail('ERR_ASCMH_OPTION', 'the curves need the Hamming ranking among the rankings');
  const rows: ExperimentRow[] = [];
  for (const bits of spec.bits) {
    const seconds: number[] = [];
    const maps = rankings.map(() => ({ i2t: [] as number[], t2i: [] as number[] }));
    const i2tCurves: RetrievalCurves[] = [], t2iCurves: RetrievalCurves[] = [];
    for (let seed = 0; seed < spec.seeds; seed++) {
      const started = performance.now();
      const model = await train(spec.method ?? 'ascmh', spec.train, { ...spec.options, bits, seed } as never, { signal: spec.signal });
      const took = (performance.now() - started) / 1000;
      seconds.push(took);
      spec.onFit?.(bits, seed, took);
      const database = spec.protocol === 'train-codes' ? spec.train : (spec.database ?? spec.train);
      for (const [i, ranking] of rankings.entries()) {
        const curves = ranking === 'hamming' && !rankings.slice(0, i).includes('hamming') ? spec.curves : undefined;
        const r = await evaluateCrossModal(model, spec.query, database, spec.protocol, { curves, ranking });
        maps[i].i2t.push(r.imageToText);
        maps[i].t2i.push(r.textToImage);
        if (r.curves) {
          i2tCurves.push(r.curves.imageToText);
          t2iCurves.push(r.curves.textToImage);
        }
      }
    }
    const cells = maps.map(({ i2t, t2i }): RankingCells => ({ i2t: mean(i2t), t2i: mean(t2i), i2tStd: std(i2t), t2iStd: std(t2i) }));
    const row: ExperimentRow = { bits, ...cells[0], trainSeconds: median(seconds) };
    if (spec.rankings) row.rankings = Object.fromEntries(rankings.map((r, i) => [r, cells[i]]));
    if (i2tCurves.length) row.curves = { i2t: averageCurves(i2tCurves), t2i: averageCurves(t2iCurves) };
    rows.push(row);
  }
  return rows;
}
