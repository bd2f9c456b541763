// SCRATCH (Li et al., ACM MM 2018) behind the trainer interface; the native port is binding/train/scratch.cc.
import type { StoredModel } from '../io/model-file.js';
import { resolveStoredOptions } from './batch.js';
import { KernelHashModel, checkTrainingData, fitNative, stateFromNative } from './kernel-model.js';
import { type KernelOptions, type OptionTable, resolveMethodOptions } from './method-options.js';
import type { CrossModalTrainer, MethodFitControl, MethodModelState, SignThreshold, TrainingData } from './model.js';

/** SCRATCH's hyper-parameters; the defaults are the authors' Main_Wiki.m. */
export interface ScratchOptions extends KernelOptions {
  bits: number;
  /** Weight of the image factorisation lambdaX; the text's is 1 - lambdaX. */
  lambdaImage?: number;
  /** Weight of the label factorisation. */
  alpha?: number;
  /** Weight of the hash-function terms (Xmu = Ymu). */
  mu?: number;
  /** Ridge of every solve. */
  gamma?: number;
  iterations?: number;
  /** Centre the kernel features a second time (Main_Wiki.m after Kernelize.m; a rounding-level change). */
  centreTwice?: boolean;
  seed?: number;
  precision?: 'float64' | 'float32';
  /** Query bit set where z >= 0 ('nonnegative', evaluate.m) or z > 0. */
  threshold?: SignThreshold;
}

/** SCRATCH options with every default filled in. */
export type ResolvedScratchOptions = Required<ScratchOptions>;

/** SCRATCH's options: defaults (the authors' Main_Wiki.m) and checks. */
export const SCRATCH_DEFAULTS: Omit<OptionTable<ScratchOptions>, 'bits'> = {
  imageAnchors: { default: 500, check: 'positive-int', anchors: true },
  textAnchors: { default: 500, check: 'positive-int', anchors: true },
  sigmaRule: { default: 'mean-squared-distance', check: 'sigma-rule' },
  imageKernelWidth: { default: 1, check: 'positive' },
  textKernelWidth: { default: 1, check: 'positive' },
  centreInputs: { default: true, check: 'boolean' },
  centreTwice: { default: true, check: 'boolean' },
  lambdaImage: { default: 0.5, check: 'unit' },
  alpha: { default: 500, check: 'nonnegative' },
  mu: { default: 1000, check: 'nonnegative' },
  gamma: { default: 5, check: 'positive' },
  iterations: { default: 20, check: 'iterations1' },
  seed: { default: 0, check: 'seed' },
  precision: { default: 'float64', check: 'precision' },
  threshold: { default: 'nonnegative', check: 'threshold' },
};

export function resolveScratchOptions(options: unknown, trainingRows: number): ResolvedScratchOptions {
  return resolveMethodOptions<ScratchOptions>('SCRATCH', SCRATCH_DEFAULTS, options, trainingRows);
}

/** A trained SCRATCH model: kernel features, a projection Wx and the rotation R. */
export class SCRATCH extends KernelHashModel<ScratchOptions> {
  readonly method = 'scratch' as const;

  /** Use SCRATCH.fit or loadModel. */
  constructor(state: MethodModelState<ResolvedScratchOptions>) {
    super(state);
  }

  /** Trains on paired data on a native thread (the authors' train.m, step for step). */
  static async fit(data: TrainingData, options: ScratchOptions, control: MethodFitControl = {}): Promise<SCRATCH> {
    const checked = checkTrainingData(data);
    const resolved = resolveScratchOptions(options, checked.image.rows);
    const { threshold: _t, ...nativeOptions } = resolved;
    const { raw, seconds } = await fitNative('fitScratch', checked, nativeOptions, control);
    return new SCRATCH(stateFromNative('scratch', 'kernel-projection-rotation', resolved, checked.image.rows, raw, seconds, resolved.threshold));
  }

  /** @internal From a model file's contents (loadModel). */
  static fromStored(stored: StoredModel & { method: 'scratch' }): SCRATCH {
    return new SCRATCH({ ...(stored as unknown as MethodModelState<ResolvedScratchOptions>), options: resolveStoredOptions(stored, resolveScratchOptions) });
  }
}

/** SCRATCH as a CrossModalTrainer. */
export const scratchTrainer: CrossModalTrainer<ScratchOptions, SCRATCH, MethodFitControl> = {
  method: 'scratch',
  fit: (data, options, control) => SCRATCH.fit(data, options, control),
};
