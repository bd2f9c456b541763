// One trainer interface (issue 13): train(method, ...) and loadModel(path) for every method.
import { fail } from '../core/errors.js';
import { readModelFile } from '../io/model-file.js';
import { ASCMH, ascmhTrainer } from './ascmh.js';
import type { AscmhOptions, FitControl } from './ascmh-options.js';
import { BATCH, type BatchOptions, batchTrainer } from './batch.js';
import { CSMH, type CsmhFitControl, type CsmhOptions, csmhTrainer } from './csmh.js';
import { DDASH, type DdashFitControl, type DdashOptions, ddashTrainer } from './ddash.js';
import type { Method, MethodFitControl, TrainingData } from './model.js';
import { SCRATCH, type ScratchOptions, scratchTrainer } from './scratch.js';

/** Each method's options, control and model class. */
export interface MethodTypes {
  ascmh: { options: AscmhOptions; control: FitControl; model: ASCMH };
  batch: { options: BatchOptions; control: MethodFitControl; model: BATCH };
  scratch: { options: ScratchOptions; control: MethodFitControl; model: SCRATCH };
  ddash: { options: DdashOptions; control: DdashFitControl; model: DDASH };
  csmh: { options: CsmhOptions; control: CsmhFitControl; model: CSMH };
}

/** A model of any method. */
export type AnyModel = MethodTypes[Method]['model'];

/** Every method train() takes. */
export const METHODS: readonly Method[] = ['ascmh', 'batch', 'scratch', 'ddash', 'csmh'];

/** The trainer of each method, by name. */
export const trainers = { ascmh: ascmhTrainer, batch: batchTrainer, scratch: scratchTrainer, ddash: ddashTrainer, csmh: csmhTrainer } as const;

/** Trains `method` on paired data; same as ASCMH.fit / BATCH.fit / SCRATCH.fit / DDASH.fit / CSMH.fit. */
export function train<M extends Method>(method: M, data: TrainingData, options: MethodTypes[M]['options'], control?: MethodTypes[M]['control']): Promise<MethodTypes[M]['model']> {
  if (!METHODS.includes(method)) fail('ERR_ASCMH_METHOD', `method must be one of ${METHODS.join(', ')}, got ${String(method)}`);
  const trainer = trainers[method] as { fit(d: TrainingData, o: unknown, c?: unknown): Promise<MethodTypes[M]['model']> };
  return trainer.fit(data, options, control);
}

/** Reads any model file and returns the class of the method that wrote it. */
export async function loadModel(path: string): Promise<AnyModel> {
  const stored = await readModelFile(path);
  switch (stored.method) {
    case 'ascmh':
      return ASCMH.fromStored(stored);
    case 'batch':
      return BATCH.fromStored(stored as typeof stored & { method: 'batch' });
    case 'scratch':
      return SCRATCH.fromStored(stored as typeof stored & { method: 'scratch' });
    case 'ddash':
      return DDASH.fromStored(stored as typeof stored & { method: 'ddash' });
    case 'csmh':
      return CSMH.fromStored(stored as typeof stored & { method: 'csmh' });
  }
}
