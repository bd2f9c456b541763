// The model class and the fit glue that BATCH, SCRATCH and CSMH share: a kernel hash function per
// modality (of the method's encoder kind), the learned training codes, and a native fit that runs
// off the main thread with progress and cancellation. Encoding is NativeEncodedModel's, as for
// ASCMH and DDASH.
import { abortError, callNative, callNativeAsync, fail, withAbortReason } from '../core/errors.js';
import { type Matrix, type Modality, validateLabels, validateMatrix } from '../core/matrix.js';
import type { NativeAddon } from '../core/native.js';
import { writeModelFile } from '../io/model-file.js';
import { native } from '../core/native.js';
import { type NativeEncoder, NativeEncodedModel } from './encoded-model.js';
import { checkOnPhase, fitEvents } from './fit-progress.js';
import type { CrossModalHashModel, EncoderKind, HashFunctionParameters, Method, MethodFitControl, MethodModelState, MethodProgress, SignThreshold, TrainingData } from './model.js';

export abstract class KernelHashModel<O extends { bits: number }> extends NativeEncodedModel<HashFunctionParameters> implements CrossModalHashModel {
  abstract readonly method: Method;
  readonly encoderKind: EncoderKind;
  readonly options: Required<O>;
  readonly history: MethodModelState<O>['history'];
  readonly seconds: MethodModelState<O>['seconds'];
  /** The last iteration's latent matrices, when fit was asked to keep them. */
  readonly latent?: MethodModelState<O>['latent'];

  protected constructor(state: MethodModelState<Required<O>>) {
    super({ image: state.image, text: state.text }, state.trainingCodes);
    this.encoderKind = state.encoder;
    this.options = state.options;
    this.history = state.history;
    this.seconds = state.seconds;
    this.latent = state.latent;
  }

  /** The parameters of a modality's hash function (read-only views). */
  hashFunction(modality: Modality): HashFunctionParameters {
    return this.parameters(modality);
  }

  /** Writes the model atomically (temporary file, then rename). */
  async save(path: string): Promise<void> {
    await writeModelFile(path, {
      method: this.method,
      encoder: this.encoderKind,
      options: this.options,
      image: this.parameters('image'),
      text: this.parameters('text'),
      trainingCodes: this.trainingCodes,
      history: this.history,
      seconds: this.seconds,
    });
  }

  protected createEncoder(modality: Modality): NativeEncoder {
    return new native.Encoder({ ...this.hashFunction(modality), bits: this.bits }) as NativeEncoder;
  }
}

/** The checked training data (every check before any native work). */
export function checkTrainingData(data: TrainingData): { image: Matrix; text: Matrix; labels: TrainingData['labels'] } {
  if (data === null || typeof data !== 'object') fail('ERR_ASCMH_NOT_MATRIX', 'fit needs { image, text, labels }');
  const image = validateMatrix(data.image, 'image', { checkFinite: false });
  const text = validateMatrix(data.text, 'text', { checkFinite: false });
  const labels = validateLabels(data.labels, 'labels');
  if (image.rows !== text.rows || image.rows !== labels.rows) {
    fail('ERR_ASCMH_SHAPE', `image, text and labels must have the same rows; got ${image.rows}, ${text.rows} and ${labels.rows}`);
  }
  return { image, text, labels };
}

function checkInjected(inject: unknown): void {
  if (inject === undefined) return;
  if (inject === null || typeof inject !== 'object') fail('ERR_ASCMH_OPTION', 'inject must be an object of draws');
  const known = new Set(['imageAnchors', 'textAnchors', 'B0', 'V0', 'R0', 'completion']);
  for (const key of Object.keys(inject)) if (!known.has(key)) fail('ERR_ASCMH_OPTION', `unknown injected draw '${key}'`);
}

/**
 * Runs a method's native fit: validates the control, forwards progress (a throwing callback stops
 * the fit, which rejects with what it threw), wires the AbortSignal to the native cancel.
 */
export async function fitNative(
  entry: 'fitBatch' | 'fitScratch' | 'fitCsmh',
  data: ReturnType<typeof checkTrainingData>,
  nativeOptions: Record<string, unknown>,
  control: MethodFitControl,
  keepObjective = false,
): Promise<{ raw: NativeAddon; seconds: number }> {
  if (control === null || typeof control !== 'object') fail('ERR_ASCMH_OPTION', 'the fit control must be an object { onProgress, signal }');
  const { signal, onProgress, onPhase, keepLatent, inject } = control;
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('ERR_ASCMH_OPTION', 'onProgress must be a function');
  checkOnPhase(onPhase);
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('ERR_ASCMH_OPTION', 'signal must be an AbortSignal');
  checkInjected(inject);
  if (signal?.aborted) throw abortError('training was cancelled before it started', signal);
  let progressError: { error: unknown } | undefined;
  let job: { promise: Promise<NativeAddon>; cancel(): void } | undefined;
  const events = fitEvents<MethodProgress & { objective?: number }>(
    onProgress && ((p) => {
      const { objective: _objective, ...report } = p;
      onProgress(keepObjective ? p : report);
    }),
    onPhase,
  );
  const progress =
    (onProgress || onPhase) &&
    ((p: Parameters<typeof events>[0]) => {
      if (progressError) return;
      try {
        events(p);
      } catch (error) {
        progressError = { error };
        job?.cancel();
      }
    });
  const started = performance.now();
  job = callNative(() => native[entry](data.image, data.text, data.labels, { ...nativeOptions, keepLatent: Boolean(keepLatent), inject }, progress));
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
  return { raw, seconds: (performance.now() - started) / 1000 };
}

/** The model state from a native fit's result. */
export function stateFromNative<O extends { bits: number }>(
  method: Method,
  encoder: EncoderKind,
  options: Required<O>,
  rows: number,
  raw: NativeAddon,
  total: number,
  threshold: SignThreshold,
): MethodModelState<Required<O>> {
  const hashOf = (m: 0 | 1): HashFunctionParameters => {
    const k = raw.kernels[m];
    const h: HashFunctionParameters = { count: k.count, dim: k.dim, anchors: k.anchors, sigma: k.sigma, mean: k.mean, W: raw.W[m], sigmaRule: k.sigmaRule, threshold };
    if (k.inputMean) h.inputMean = k.inputMean;
    if (raw.rotation) h.rotation = raw.rotation;
    return h;
  };
  return {
    method,
    encoder,
    options,
    image: hashOf(0),
    text: hashOf(1),
    trainingCodes: { count: rows, bits: options.bits, data: raw.codes },
    history: raw.history.map(({ objective: _o, ...h }: { objective: number }) => h),
    seconds: { ...raw.seconds, total },
    latent: raw.latent,
  };
}
