// The paper's own results (ASCMH, Table 2: mAP, mean of 20 runs, train-codes protocol), for
// printing beside ours.

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
