// BATCH (Wang et al., TKDE 2020) behind the trainer interface; the native port is binding/train/batch.cc.
import { fail } from '../core/errors.js';
import type { StoredModel } from '../io/model-file.js';
import { KernelHashModel, checkTrainingData, fitNative, stateFromNative } from './kernel-model.js';
import { type KernelOptions, type OptionTable, resolveMethodOptions } from './method-options.js';
import type { CrossModalTrainer, MethodFitControl, MethodModelState, SignThreshold, TrainingData } from './model.js';

/** BATCH's hyper-parameters; the defaults are the authors' main_demo.m. */
export interface BatchOptions extends KernelOptions {
  bits: number;
  /** Reconstruction weights of the image and text kernel features and of the labels (eta1, eta2, eta0). */
  etaImage?: number;
  etaText?: number;
  etaLabel?: number;
  /** Weight of ||B - V||^2. */
  omega?: number;
  /** Ridge of the hash functions' regression. */
  xi?: number;
  iterations?: number;
  seed?: number;
  precision?: 'float64' | 'float32';
  /** Query bit set where z > 0 ('positive', evaluate_BATCH.m) or z >= 0. */
  threshold?: SignThreshold;
}

/** BATCH options with every default filled in. */
export type ResolvedBatchOptions = Required<BatchOptions>;

/** BATCH's options: defaults (the authors' main_demo.m) and checks. */
export const BATCH_DEFAULTS: Omit<OptionTable<BatchOptions>, 'bits'> = {
  imageAnchors: { default: 500, check: 'positive-int', anchors: true },
  textAnchors: { default: 1000, check: 'positive-int', anchors: true },
  sigmaRule: { default: 'mean-squared-distance', check: 'sigma-rule' },
  imageKernelWidth: { default: 1, check: 'positive' },
  textKernelWidth: { default: 1, check: 'positive' },
  centreInputs: { default: false, check: 'boolean' },
  etaImage: { default: 0.05, check: 'nonnegative' },
  etaText: { default: 0.05, check: 'nonnegative' },
  etaLabel: { default: 0.9, check: 'nonnegative' },
  omega: { default: 0.01, check: 'nonnegative' },
  xi: { default: 0.01, check: 'positive' },
  iterations: { default: 6, check: 'iterations' },
  seed: { default: 0, check: 'seed' },
  precision: { default: 'float64', check: 'precision' },
  threshold: { default: 'positive', check: 'threshold' },
};

export function resolveBatchOptions(options: unknown, trainingRows: number): ResolvedBatchOptions {
  return resolveMethodOptions<BatchOptions>('BATCH', BATCH_DEFAULTS, options, trainingRows);
}

/** A trained BATCH model: kernel ridge hash functions onto the discrete codes B. */
export class BATCH extends KernelHashModel<BatchOptions> {
  readonly method = 'batch' as const;

  /** Use BATCH.fit or loadModel. */
  constructor(state: MethodModelState<ResolvedBatchOptions>) {
    super(state);
  }

  /** Trains on paired data on a native thread (the authors' train_BATCH.m, step for step). */
  static async fit(data: TrainingData, options: BatchOptions, control: MethodFitControl = {}): Promise<BATCH> {
    const checked = checkTrainingData(data);
    const resolved = resolveBatchOptions(options, checked.image.rows);
    const { threshold: _t, ...nativeOptions } = resolved;
    const { raw, seconds } = await fitNative('fitBatch', checked, nativeOptions, control);
    return new BATCH(stateFromNative('batch', 'kernel-ridge', resolved, checked.image.rows, raw, seconds, resolved.threshold));
  }

  /** @internal From a model file's contents (loadModel). */
  static fromStored(stored: StoredModel & { method: 'batch' }): BATCH {
    return new BATCH({ ...(stored as unknown as MethodModelState<ResolvedBatchOptions>), options: resolveStoredOptions(stored, resolveBatchOptions) });
  }
}

/** A stored model's options, checked like a caller's (a forged file could hold anything). */
export function resolveStoredOptions<O>(stored: StoredModel, resolve: (o: unknown, rows: number) => O): O {
  const rows = stored.trainingCodes.count;
  try {
    return resolve(stored.options, Math.max(rows, stored.trainingCodes.bits + 1, 2 ** 31));
  } catch (err) {
    fail('ERR_ASCMH_MODEL_CORRUPT', `the model file's options are not valid: ${(err as Error).message}`);
  }
}

/** BATCH as a CrossModalTrainer. */
export const batchTrainer: CrossModalTrainer<BatchOptions, BATCH, MethodFitControl> = {
  method: 'batch',
  fit: (data, options, control) => BATCH.fit(data, options, control),
};
