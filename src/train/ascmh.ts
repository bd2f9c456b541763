import { abortError, callNative, callNativeAsync, fail, withAbortReason } from '../core/errors.js';
import { type Modality, validateLabels, validateMatrix } from '../core/matrix.js';
import { native, type NativeAddon } from '../core/native.js';
import { type AscmhOptions, type FitControl, type FitProgress, type ResolvedOptions, resolveOptions } from './ascmh-options.js';
import { readModelFile, writeModelFile } from '../io/model-file.js';
import { type NativeEncoder, NativeEncodedModel } from './encoded-model.js';
import { checkOnPhase, fitEvents } from './fit-progress.js';
import type { CrossModalHashModel, CrossModalTrainer, HashFunctionParameters, LatentState, ModelState, TrainingData } from './model.js';

/** Asymmetric Scalable Cross-Modal Hashing: a trained model. */
export class ASCMH extends NativeEncodedModel<HashFunctionParameters> implements CrossModalHashModel {
  readonly method = 'ascmh';
  readonly options: ResolvedOptions;
  readonly history: ModelState['history'];
  readonly seconds: ModelState['seconds'];
  readonly converged: boolean;
  /** V, R, M, B of the last iteration, when fit was asked to keep them. */
  readonly latent?: LatentState;

  /** Use ASCMH.fit or ASCMH.load. */
  constructor(state: ModelState) {
    super({ image: state.image, text: state.text }, state.trainingCodes);
    this.options = state.options;
    this.history = state.history;
    this.seconds = state.seconds;
    this.converged = Boolean(state.converged);
    this.latent = state.latent;
  }

  /** Trains on paired data. Runs on a native thread; the returned Promise settles once. */
  static async fit(data: TrainingData, options: AscmhOptions, control: FitControl = {}): Promise<ASCMH> {
    if (data === null || typeof data !== 'object') fail('ERR_ASCMH_NOT_MATRIX', 'fit needs { image, text, labels }');
    const image = validateMatrix(data.image, 'image', { checkFinite: false });
    const text = validateMatrix(data.text, 'text', { checkFinite: false });
    const labels = validateLabels(data.labels, 'labels');
    if (image.rows !== text.rows || image.rows !== labels.rows) {
      fail('ERR_ASCMH_SHAPE', `image, text and labels must have the same rows; got ${image.rows}, ${text.rows} and ${labels.rows}`);
    }
    const resolved = resolveOptions(options, image.rows);
    if (control === null || typeof control !== 'object') fail('ERR_ASCMH_OPTION', 'the fit control must be an object { onProgress, signal }');
    const { signal, onProgress, onPhase, keepLatent, initialisation } = control;
    if (initialisation !== undefined && initialisation !== 'drawn' && initialisation !== 'sampled') {
      fail('ERR_ASCMH_OPTION', `initialisation must be 'drawn' or 'sampled', got ${String(initialisation)}`);
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') fail('ERR_ASCMH_OPTION', 'onProgress must be a function');
    checkOnPhase(onPhase);
    if (signal !== undefined && !(signal instanceof AbortSignal)) fail('ERR_ASCMH_OPTION', 'signal must be an AbortSignal');
    if (signal?.aborted) throw abortError('training was cancelled before it started', signal);

    // What the progress callback throws ends the fit, which then rejects with that error.
    let progressError: { error: unknown } | undefined;
    let job: { promise: Promise<NativeAddon>; cancel(): void } | undefined;
    const events = fitEvents<FitProgress>(onProgress, onPhase);
    const progress = (onProgress || onPhase) && ((p: Parameters<typeof events>[0]) => {
      if (progressError) return;
      try {
        events(p);
      } catch (error) {
        progressError = { error };
        job?.cancel();
      }
    });
    const started = performance.now();
    job = callNative(() => native.fit(image, text, labels, { ...resolved, keepLatent: Boolean(keepLatent), initialisation }, progress));
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
    const hashOf = (m: 0 | 1): HashFunctionParameters => ({
      count: raw.kernels[m].count,
      dim: raw.kernels[m].dim,
      anchors: raw.kernels[m].anchors,
      sigma: raw.kernels[m].sigma,
      mean: raw.kernels[m].mean,
      W: raw.W[m],
    });
    return new ASCMH({
      options: resolved,
      image: hashOf(0),
      text: hashOf(1),
      trainingCodes: { count: image.rows, bits: resolved.bits, data: raw.codes },
      history: raw.history,
      converged: raw.converged,
      seconds: { ...raw.seconds, total },
      latent: keepLatent ? { V: raw.V, R: raw.R, M: raw.M, B: raw.B } : undefined,
    });
  }

  /** Reads a model written by save(); a damaged or foreign file throws ERR_ASCMH_MODEL_*. */
  static async load(path: string): Promise<ASCMH> {
    const stored = await readModelFile(path);
    if (stored.method !== 'ascmh') fail('ERR_ASCMH_MODEL_FORMAT', `${path} holds a ${stored.method.toUpperCase()} model, not ASCMH: load it with loadModel()`);
    return ASCMH.fromStored(stored);
  }

  /** @internal From a model file's contents (loadModel). */
  static fromStored(stored: Awaited<ReturnType<typeof readModelFile>>): ASCMH {
    return new ASCMH(stored as unknown as ModelState);
  }

  /** The parameters of a modality's hash function (read-only views). */
  hashFunction(modality: Modality): HashFunctionParameters {
    return this.parameters(modality);
  }

  /** Writes the model atomically (temporary file, then rename). */
  async save(path: string): Promise<void> {
    await writeModelFile(path, {
      method: 'ascmh',
      encoder: 'kernel-ridge',
      options: this.options,
      image: this.parameters('image'),
      text: this.parameters('text'),
      trainingCodes: this.trainingCodes,
      history: this.history,
      converged: this.converged,
      seconds: this.seconds,
    });
  }

  protected createEncoder(modality: Modality): NativeEncoder {
    return new native.Encoder({ ...this.hashFunction(modality), bits: this.bits }) as NativeEncoder;
  }
}

/** ASCMH as a CrossModalTrainer, for code that picks methods at run time. */
export const ascmhTrainer: CrossModalTrainer<AscmhOptions, ASCMH> = {
  method: 'ascmh',
  fit: (data, options, control) => ASCMH.fit(data, options, control),
};
