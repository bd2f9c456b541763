// CSMH (Li et al., TKDE 2025) behind the trainer interface, as reconstructed from its abstract (the
// README's "CSMH" section says how); the native method is binding/train/csmh.cc.
import type { StoredModel } from '../io/model-file.js';
import { resolveStoredOptions } from './batch.js';
import { KernelHashModel, checkTrainingData, fitNative, stateFromNative } from './kernel-model.js';
import { type KernelOptions, type OptionTable, resolveMethodOptions } from './method-options.js';
import type { IterationTiming } from './fit-progress.js';
import type { CrossModalTrainer, MethodFitControl, MethodModelState, MethodProgress, TrainingData } from './model.js';

/** CSMH's hyper-parameters (no value of the paper is public; see the README for how these were chosen). */
export interface CsmhOptions extends KernelOptions {
  bits: number;
  /** Weight of the MMD term between the modalities' latent features (marginal + one term per class). */
  alpha?: number;
  /** Weight of the asymmetric label-similarity term (beta/n) ||Z_m^T B - r S||^2. */
  beta?: number;
  /** Ridge lambda ||W_m||^2 of each modality's projection. */
  ridge?: number;
  /** Weight of the paired-instance metric ||Z_1 - Z_2||^2 (0: off). */
  eta?: number;
  iterations?: number;
  /** Discrete cyclic coordinate descent sweeps over the bits per B-step. */
  sweeps?: number;
  /** Stop after an iteration that flipped no bit and moved the objective by at most tolerance x |objective| (0: run every iteration). */
  tolerance?: number;
  seed?: number;
  precision?: 'float64' | 'float32';
}

/** CSMH options with every default filled in. */
export type ResolvedCsmhOptions = Required<CsmhOptions>;

/** CSMH's options: defaults (ours, see the README) and checks. */
export const CSMH_DEFAULTS: Omit<OptionTable<CsmhOptions>, 'bits'> = {
  imageAnchors: { default: 1000, check: 'positive-int', anchors: true },
  textAnchors: { default: 1000, check: 'positive-int', anchors: true },
  sigmaRule: { default: 'mean-distance', check: 'sigma-rule' },
  imageKernelWidth: { default: 1, check: 'positive' },
  textKernelWidth: { default: 1, check: 'positive' },
  centreInputs: { default: false, check: 'boolean' },
  alpha: { default: 1, check: 'nonnegative' },
  beta: { default: 10, check: 'nonnegative' },
  ridge: { default: 0.1, check: 'positive' },
  eta: { default: 0, check: 'nonnegative' },
  iterations: { default: 10, check: 'iterations1' },
  sweeps: { default: 3, check: 'positive-int' },
  tolerance: { default: 0, check: 'nonnegative' },
  seed: { default: 0, check: 'seed' },
  precision: { default: 'float64', check: 'precision' },
};

export function resolveCsmhOptions(options: unknown, trainingRows: number): ResolvedCsmhOptions {
  return resolveMethodOptions<CsmhOptions>('CSMH', CSMH_DEFAULTS, options, trainingRows);
}

/** CSMH's progress: BATCH's fields and the objective after the iteration's B-step (non-increasing). */
export interface CsmhProgress extends MethodProgress {
  objective: number;
}

/** The control of CSMH.fit: MethodFitControl, with CSMH's objective in each progress report. */
export interface CsmhFitControl extends Omit<MethodFitControl, 'onProgress'> {
  /** Called after every iteration, with its timing. */
  onProgress?: (progress: CsmhProgress & IterationTiming) => void;
}

/** A trained CSMH model: kernel features and one learned projection per modality (z = W^T (phi - mean)). */
export class CSMH extends KernelHashModel<CsmhOptions> {
  readonly method = 'csmh' as const;

  /** Use CSMH.fit or loadModel. */
  constructor(state: MethodModelState<ResolvedCsmhOptions>) {
    super(state);
  }

  /** Trains on paired data on a native thread. */
  static async fit(data: TrainingData, options: CsmhOptions, control: CsmhFitControl = {}): Promise<CSMH> {
    const checked = checkTrainingData(data);
    const resolved = resolveCsmhOptions(options, checked.image.rows);
    const { raw, seconds } = await fitNative('fitCsmh', checked, resolved, control as MethodFitControl, true);
    const state = stateFromNative('csmh', 'kernel-ridge', resolved, checked.image.rows, raw, seconds, 'nonnegative');
    state.history = raw.history.map(({ iteration, changedBits, latentRank, objective }: CsmhProgress) => ({ iteration, changedBits, latentRank, objective }));
    return new CSMH(state);
  }

  /** @internal From a model file's contents (loadModel). */
  static fromStored(stored: StoredModel & { method: 'csmh' }): CSMH {
    return new CSMH({ ...(stored as unknown as MethodModelState<ResolvedCsmhOptions>), options: resolveStoredOptions(stored, resolveCsmhOptions) });
  }
}

/** CSMH as a CrossModalTrainer. */
export const csmhTrainer: CrossModalTrainer<CsmhOptions, CSMH, CsmhFitControl> = {
  method: 'csmh',
  fit: (data, options, control) => CSMH.fit(data, options, control),
};
