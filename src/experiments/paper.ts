// The paper's own results (ASCMH, Table 2: mAP, mean of 20 runs, train-codes protocol), for
// printing beside ours.
import type { Method } from '../train/model.js';

export type PaperDataset = 'wiki' | 'mirflickr25k' | 'nus-wide';

export const PAPER_BITS = [16, 32, 64, 128] as const;

export const PAPER_TABLE2: Record<PaperDataset, { title: string; i2t: number[]; t2i: number[] }> = {
  wiki: { title: 'Wiki', i2t: [0.3664, 0.3948, 0.3911, 0.395], t2i: [0.7481, 0.7607, 0.759, 0.7628] },
  mirflickr25k: { title: 'MIRFlickr-25K', i2t: [0.7319, 0.7371, 0.7367, 0.7523], t2i: [0.8062, 0.8125, 0.8286, 0.8339] },
  'nus-wide': { title: 'NUS-WIDE', i2t: [0.651, 0.6588, 0.6633, 0.6638], t2i: [0.7677, 0.7824, 0.7898, 0.799] },
};

/** Which of the paper's datasets a dataset name refers to (wiki, mirflickr25k, nus-wide, ...). */
export function paperDatasetOf(name: string): PaperDataset | undefined {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n.includes('wiki')) return 'wiki';
  if (n.includes('mirflickr') || n.startsWith('mir') || n.includes('flickr25k')) return 'mirflickr25k';
  if (n.includes('nuswide') || n.startsWith('nus')) return 'nus-wide';
  return undefined;
}

/** The paper's mAP for a task at a code length, if it reports one. */
export function paperMap(dataset: PaperDataset, task: 'i2t' | 't2i', bits: number): number | undefined {
  const at = (PAPER_BITS as readonly number[]).indexOf(bits);
  return at < 0 ? undefined : PAPER_TABLE2[dataset][task][at];
}

/**
 * The ASCMH paper's Table 2 rows of the baselines ("from their author's paper with their
 * suggestion parameters"), as ../shared/docs/baselines.md lists them.
 */
export const PAPER_TABLE2_BASELINES: Record<'batch' | 'scratch', Record<PaperDataset, { i2t: number[]; t2i: number[] }>> = {
  batch: {
    wiki: { i2t: [0.3553, 0.3781, 0.3837, 0.394], t2i: [0.7382, 0.7448, 0.7586, 0.7502] },
    mirflickr25k: { i2t: [0.7318, 0.7408, 0.7416, 0.7464], t2i: [0.8005, 0.8187, 0.8192, 0.8256] },
    'nus-wide': { i2t: [0.6274, 0.6505, 0.6632, 0.6638], t2i: [0.7596, 0.7782, 0.7815, 0.7837] },
  },
  scratch: {
    wiki: { i2t: [0.3428, 0.3497, 0.3662, 0.3613], t2i: [0.7398, 0.7538, 0.7496, 0.7513] },
    mirflickr25k: { i2t: [0.7065, 0.7045, 0.7161, 0.7248], t2i: [0.7685, 0.7773, 0.7936, 0.8007] },
    'nus-wide': { i2t: [0.6072, 0.6332, 0.6456, 0.6474], t2i: [0.7488, 0.7747, 0.7855, 0.7893] },
  },
};

/** Whether the ASCMH paper's Table 2 has a row for the method (DDASH: no; its own paper reports none for these sets). */
export function hasPaperRow(method: Method): method is 'ascmh' | 'batch' | 'scratch' {
  return method === 'ascmh' || method === 'batch' || method === 'scratch';
}

/** The paper's mAP of a method (ascmh, batch, scratch) for a task at a code length, if reported. */
export function paperMethodMap(method: Method, dataset: PaperDataset, task: 'i2t' | 't2i', bits: number): number | undefined {
  if (!hasPaperRow(method)) return undefined;
  if (method === 'ascmh') return paperMap(dataset, task, bits);
  const at = (PAPER_BITS as readonly number[]).indexOf(bits);
  return at < 0 ? undefined : PAPER_TABLE2_BASELINES[method][dataset][task][at];
}
