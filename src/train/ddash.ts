// DDASH behind the trainer interface: a reconstruction from the paper's abstract (README, "DDASH");
// the native method is binding/train/ddash.cc, the hash networks binding/encoders/mlp_hash.cc.
import { abortError, callNative, callNativeAsync, fail, withAbortReason } from '../core/errors.js';
import type { Codes, Modality } from '../core/matrix.js';
import { type NativeAddon, native } from '../core/native.js';
import { type StoredModel, readModelFile, writeModelFile } from '../io/model-file.js';
import { resolveStoredOptions } from './batch.js';
import { checkTrainingData } from './kernel-model.js';
import { type OptionTable, resolveMethodOptions } from './method-options.js';
import { type NativeEncoder, NativeEncodedModel } from './encoded-model.js';
import { type IterationTiming, type PhaseProgress, checkOnPhase, fitEvents } from './fit-progress.js';
import type { CrossModalHashModel, CrossModalTrainer, MlpHashParameters, TrainingData } from './model.js';

/** DDASH's hyper-parameters (README, "DDASH", for where each comes from). */
export interface DdashOptions {
  bits: number;
  /** Hidden units of the image and text networks. */
  hiddenImage?: number;
  hiddenText?: number;
  /** Weight of ||B_Omega - U||^2, the link of the query outputs to their own database codes. */
  gamma?: number;
  /** Weight of the label mapping ||L - B W^T||^2, and the ridge nu ||W||^2 (nu > 0). */
  mu?: number;
  nu?: number;
  /** Outer iterations T (networks, then B, then W). */
  iterations?: number;
  /** Epochs of each network per outer iteration, over the query sample, in mini-batches. */
  epochs?: number;
  batchSize?: number;
  /** Adam's learning rate, log-linear from learningRate to finalLearningRate over the iterations. */
  learningRate?: number;
  finalLearningRate?: number;
  /** L2 weight decay of the networks' weight matrices. */
  weightDecay?: number;
  /**
   * Query sample m: the items the networks train on, redrawn each iteration when below the
   * training rows (the database codes B always cover every item). Default: every item up to
   * DDASH_FULL_QUERY_LIMIT training rows, else DDASH_QUERY_SAMPLE.
   */
  querySample?: number;
  /** DCC sweeps over the bits per B-step. */
  dccSweeps?: number;
  /** Build the B-step's Q from sgn(U), sgn(V) (ADSH's MATLAB code) instead of U, V. */
  signOutputsInQ?: boolean;
  /** Rebalance the graded similarity (rho = mean / (1 - mean)); false: S = 2 G G^T - 1. */
  rebalance?: boolean;
  seed?: number;
  precision?: 'float64' | 'float32';
}

/** DDASH options with every default filled in. */
export type ResolvedDdashOptions = Required<DdashOptions>;

/** Every item is the query sample up to this many training rows; above it, DDASH_QUERY_SAMPLE. */
export const DDASH_FULL_QUERY_LIMIT = 20000;
/** Items the networks train on per iteration when the training set exceeds DDASH_FULL_QUERY_LIMIT. */
export const DDASH_QUERY_SAMPLE = 5000;

/** DDASH's options (querySample aside): defaults and checks. */
export const DDASH_DEFAULTS: Omit<OptionTable<Omit<DdashOptions, 'querySample'>>, 'bits'> = {
  hiddenImage: { default: 128, check: 'positive-int' },
  hiddenText: { default: 128, check: 'positive-int' },
  gamma: { default: 50, check: 'nonnegative' },
  mu: { default: 1, check: 'nonnegative' },
  nu: { default: 1, check: 'positive' },
  iterations: { default: 30, check: 'iterations' },
  epochs: { default: 3, check: 'positive-int' },
  batchSize: { default: 64, check: 'positive-int' },
  learningRate: { default: 1e-3, check: 'positive' },
  finalLearningRate: { default: 1e-4, check: 'positive' },
  weightDecay: { default: 1e-4, check: 'nonnegative' },
  dccSweeps: { default: 1, check: 'positive-int' },
  signOutputsInQ: { default: false, check: 'boolean' },
  rebalance: { default: true, check: 'boolean' },
  seed: { default: 0, check: 'seed' },
  precision: { default: 'float64', check: 'precision' },
};

export function resolveDdashOptions(options: unknown, trainingRows: number): ResolvedDdashOptions {
  if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'options must be an object with at least { bits }');
  const { querySample, ...rest } = options as Record<string, unknown>;
  const resolved = resolveMethodOptions<Omit<DdashOptions, 'querySample'>>('DDASH', DDASH_DEFAULTS, rest, trainingRows);
  for (const key of ['hiddenImage', 'hiddenText'] as const) {
    if (resolved[key] > 65536) fail('ERR_ASCMH_OPTION', `${key} must be at most 65536, got ${resolved[key]}`);
  }
  if (resolved.dccSweeps > 100) fail('ERR_ASCMH_OPTION', `dccSweeps must be at most 100, got ${resolved.dccSweeps}`);
  const m = querySample ?? (trainingRows <= DDASH_FULL_QUERY_LIMIT ? trainingRows : DDASH_QUERY_SAMPLE);
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > trainingRows) {
    fail('ERR_ASCMH_OPTION', `querySample must be an integer from 1 to the training rows (${trainingRows}), got ${String(m)}`);
  }
  return { ...resolved, querySample: m };
}

/** Once per outer iteration. */
export interface DdashProgress {
  iteration: number;
  iterations: number;
  /** Entries of B that the iteration's B-step changed. */
  changedBits: number;
  /** The objective after the iteration's W-step (the network terms on this iteration's query sample). */
  objective: number;
}

/** Once per epoch of one network. */
export interface DdashEpochProgress {
  iteration: number;
  iterations: number;
  modality: Modality;
  epoch: number;
  epochs: number;
  /** The network's terms of the objective over the epoch's mini-batches, divided by n. */
  loss: number;
}

/** The control of DDASH.fit: progress per iteration, per epoch and per phase, and cancellation. */
export interface DdashFitControl {
  /** Called after every outer iteration, with its timing. */
  onProgress?: (progress: DdashProgress & IterationTiming) => void;
  /** Called as each phase starts: 'features' (standardisation), then 'iterations'. */
  onPhase?: (progress: PhaseProgress) => void;
  /** Called after every epoch of one network. */
  onEpoch?: (progress: DdashEpochProgress) => void;
  /** Aborting rejects the fit with an AbortError (ERR_ASCMH_CANCELLED) within one mini-batch. */
  signal?: AbortSignal;
  /** Also return the last iteration's U, V (query sample x bits), its sample omega, the mapping W (classes x bits) and the one its B-step used (Wprevious), B (n x bits) and rho. */
  keepLatent?: boolean;
}

/** A trained DDASH model's state (what the model file holds). */
export interface DdashModelState {
  options: ResolvedDdashOptions;
  image: MlpHashParameters;
  text: MlpHashParameters;
  trainingCodes: Codes;
  history: Omit<DdashProgress, 'iterations'>[];
  seconds: { features: number; iterations: number; hashFunctions: number; total: number };
  latent?: Record<string, Float64Array | Float32Array | Int8Array | number>;
}

/** A trained DDASH model: a hash network per modality and the learned database codes B. */
export class DDASH extends NativeEncodedModel<MlpHashParameters> implements CrossModalHashModel {
  readonly method = 'ddash' as const;
  readonly encoderKind = 'mlp' as const;
  readonly options: ResolvedDdashOptions;
  readonly history: DdashModelState['history'];
  readonly seconds: DdashModelState['seconds'];
  readonly latent?: DdashModelState['latent'];

  /** Use DDASH.fit or loadModel. */
  constructor(state: DdashModelState) {
    super({ image: state.image, text: state.text }, state.trainingCodes);
    this.options = state.options;
    this.history = state.history;
    this.seconds = state.seconds;
    this.latent = state.latent;
  }

  /** Trains on paired data on a native thread. */
  static async fit(data: TrainingData, options: DdashOptions, control: DdashFitControl = {}): Promise<DDASH> {
    const checked = checkTrainingData(data);
    const resolved = resolveDdashOptions(options, checked.image.rows);
    if (control === null || typeof control !== 'object') fail('ERR_ASCMH_OPTION', 'the fit control must be an object { onProgress, onEpoch, signal }');
    const { signal, onProgress, onPhase, onEpoch, keepLatent } = control;
    checkOnPhase(onPhase);
    if (onProgress !== undefined && typeof onProgress !== 'function') fail('ERR_ASCMH_OPTION', 'onProgress must be a function');
    if (onEpoch !== undefined && typeof onEpoch !== 'function') fail('ERR_ASCMH_OPTION', 'onEpoch must be a function');
    if (signal !== undefined && !(signal instanceof AbortSignal)) fail('ERR_ASCMH_OPTION', 'signal must be an AbortSignal');
    if (signal?.aborted) throw abortError('training was cancelled before it started', signal);
    let progressError: { error: unknown } | undefined;
    let job: { promise: Promise<NativeAddon>; cancel(): void } | undefined;
    const events = fitEvents<DdashProgress>(onProgress, onPhase);
    const progress =
      (onProgress || onEpoch || onPhase) &&
      ((p: DdashProgress & DdashEpochProgress, epoch: boolean) => {
        if (progressError) return;
        try {
          if (epoch) onEpoch?.(p);
          else events(p);
        } catch (error) {
          progressError = { error };
          job?.cancel();
        }
      });
    const started = performance.now();
    job = callNative(() => native.fitDdash(checked.image, checked.text, checked.labels, { ...resolved, keepLatent: Boolean(keepLatent) }, progress));
    const abort = () => job!.cancel();
    signal?.addEventListener('abort', abort, { once: true });
    let raw: NativeAddon;
    try {
      raw = await callNativeAsync(() => job!.promise);
    } catch (err) {
      if (progressError) throw progressError.error;
      throw withAbortReason(err, signal);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    if (progressError) throw progressError.error;
    const total = (performance.now() - started) / 1000;
    return new DDASH({
      options: resolved,
      image: raw.nets[0],
      text: raw.nets[1],
      trainingCodes: { count: checked.image.rows, bits: resolved.bits, data: raw.codes },
      history: raw.history.map(({ iterations: _i, ...h }: DdashProgress) => h),
      seconds: { ...raw.seconds, total },
      latent: keepLatent ? { ...raw.latent, W: raw.mapping, rho: raw.rho } : undefined,
    });
  }

  /** Reads a DDASH model written by save(); other methods' files: loadModel(). */
  static async load(path: string): Promise<DDASH> {
    const stored = await readModelFile(path);
    if (stored.method !== 'ddash') fail('ERR_ASCMH_MODEL_FORMAT', `${path} holds a ${stored.method.toUpperCase()} model, not DDASH: load it with loadModel()`);
    return DDASH.fromStored(stored as StoredModel & { method: 'ddash' });
  }

  /** @internal From a model file's contents (loadModel). */
  static fromStored(stored: StoredModel & { method: 'ddash' }): DDASH {
    const options = resolveStoredOptions(stored, (o, rows) => resolveDdashOptions({ querySample: 1, ...(o as object) }, rows));
    return new DDASH({ ...(stored as unknown as DdashModelState), options });
  }

  /** The hash network of a modality. */
  network(modality: Modality): MlpHashParameters {
    return this.parameters(modality);
  }

  /** Writes the model atomically (temporary file, then rename). */
  async save(path: string): Promise<void> {
    await writeModelFile(path, {
      method: 'ddash',
      encoder: 'mlp',
      options: this.options,
      image: this.parameters('image'),
      text: this.parameters('text'),
      trainingCodes: this.trainingCodes,
      history: this.history,
      seconds: this.seconds,
    });
  }

  protected createEncoder(modality: Modality): NativeEncoder {
    return new native.MlpEncoder({ ...this.network(modality), bits: this.bits }) as NativeEncoder;
  }
}

/** DDASH as a CrossModalTrainer. */
export const ddashTrainer: CrossModalTrainer<DdashOptions, DDASH, DdashFitControl> = {
  method: 'ddash',
  fit: (data, options, control) => DDASH.fit(data, options, control),
};
