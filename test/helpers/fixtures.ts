import { execFileSync } from 'node:child_process';
import { datasets } from '../../src/index.js';
import type { TrainingData } from '../../src/index.js';

/** A small multi-label set with one unlabelled row, for step-by-step checks. */
export function smallSet(n = 240, seed = 1): TrainingData {
  const data = datasets.synthetic({ n, classes: 5, imageDim: 20, textDim: 8, multiLabel: true, seed });
  data.labels.data.fill(0, 0, data.labels.cols); // row 0 has no label: allowed
  return data;
}

export const SHARED_DATA = new URL('../../../shared/data/', import.meta.url).pathname;

/** Whether python3 can import these modules (tests that need them are skipped, visibly, if not). */
export function pythonHas(modules: string): boolean {
  try {
    execFileSync('python3', ['-c', `import ${modules}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
