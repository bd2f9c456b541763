// What every model class shares: its hash-function parameters per modality and its training codes,
// and encode, encodeAsync, project and projectAsync through one native encoder per modality (a
// kernel hash function or a hash network), made on first use.
import { AscmhError, callNative, callNativeAsync, fail } from '../core/errors.js';
import { type Codes, type Matrix, type Modality, validateMatrix } from '../core/matrix.js';

/** The native side of a modality's hash function (native.Encoder, native.MlpEncoder). */
export interface NativeEncoder {
  encode(x: Matrix): Uint8Array;
  encodeAsync(x: Matrix): Promise<Uint8Array>;
  project(x: Matrix): Matrix['data'];
  projectAsync(x: Matrix): Promise<Matrix['data']>;
}

export abstract class NativeEncodedModel<P extends { dim: number }> {
  /** The native encoder of a modality; called once per modality. */
  protected abstract createEncoder(modality: Modality): NativeEncoder;
  readonly #encoders: Partial<Record<Modality, NativeEncoder>> = {};
  readonly #parameters: Record<Modality, P>;
  readonly #codes: Codes;

  protected constructor(parameters: Record<Modality, P>, trainingCodes: Codes) {
    this.#parameters = parameters;
    this.#codes = trainingCodes;
  }

  /** Code length in bits. */
  get bits(): number {
    return this.#codes.bits;
  }

  /** The learned database codes B of the training items (the asymmetric side of the methods). */
  get trainingCodes(): Codes {
    return this.#codes;
  }

  /** Feature dimension the model expects for a modality (refuses an unknown modality). */
  dimension(modality: Modality): number {
    return this.parameters(modality).dim;
  }

  /** A modality's hash-function parameters; an unknown modality is ERR_ASCMH_MODALITY. */
  protected parameters(modality: Modality): P {
    if (modality !== 'image' && modality !== 'text') fail('ERR_ASCMH_MODALITY', `modality must be 'image' or 'text', got ${String(modality)}`);
    return this.#parameters[modality];
  }

  /** Encodes feature rows into packed codes on the calling thread; meant for small batches. */
  encode(modality: Modality, features: Matrix): Codes {
    const [encoder, checked] = this.#encoder(modality, features);
    return { count: checked.rows, bits: this.bits, data: named(modality, () => callNative(() => encoder.encode(checked))) };
  }

  /**
   * Encodes on a native thread; use it for large batches or from a server. The rows are copied
   * for the native thread block by block, so the input may be changed or released meanwhile
   * (a buffer that is detached or resized fails the call with ERR_ASCMH_INPUT_CHANGED).
   */
  async encodeAsync(modality: Modality, features: Matrix): Promise<Codes> {
    const [encoder, checked] = this.#encoder(modality, features);
    return { count: checked.rows, bits: this.bits, data: await namedAsync(modality, () => callNativeAsync(() => encoder.encodeAsync(checked))) };
  }

  /**
   * The real-valued projections before the sign (rows x bits, the model's precision), on the
   * calling thread: encode() sets bit j exactly where z_j >= 0 (> 0 with the 'positive' threshold).
   * Ranking database codes by their inner product with z is asymmetric ranking
   * (HammingIndex.searchAsymmetric).
   */
  project(modality: Modality, features: Matrix): Matrix {
    const [encoder, checked] = this.#encoder(modality, features);
    return { rows: checked.rows, cols: this.bits, data: named(modality, () => callNative(() => encoder.project(checked))) };
  }

  /** {@link project} on a native thread; the input may change meanwhile, as with encodeAsync. */
  async projectAsync(modality: Modality, features: Matrix): Promise<Matrix> {
    const [encoder, checked] = this.#encoder(modality, features);
    return { rows: checked.rows, cols: this.bits, data: await namedAsync(modality, () => callNativeAsync(() => encoder.projectAsync(checked))) };
  }

  #encoder(modality: Modality, features: Matrix) {
    const dim = this.dimension(modality);
    const checked = validateMatrix(features, `${modality} features`, { allowEmpty: true, checkFinite: false });
    if (checked.cols !== dim) fail('ERR_ASCMH_SHAPE', `${modality} features have ${checked.cols} columns; this model was trained on ${dim}`);
    let encoder = this.#encoders[modality];
    if (!encoder) {
      encoder = callNative(() => this.createEncoder(modality));
      this.#encoders[modality] = encoder;
    }
    return [encoder, checked] as const;
  }
}

/** The native encoder names its input "features": say which modality's. */
function rename(modality: Modality, err: unknown): unknown {
  return err instanceof AscmhError && err.code === 'ERR_ASCMH_NON_FINITE' ? new AscmhError(err.code, `${modality} ${err.message}`) : err;
}

function named<T>(modality: Modality, body: () => T): T {
  try {
    return body();
  } catch (err) {
    throw rename(modality, err);
  }
}

async function namedAsync<T>(modality: Modality, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw rename(modality, err);
  }
}
