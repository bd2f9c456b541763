// What every cross-modal hashing method shares: its training data, its model's shape and state.
// The model file (io/model-file.ts) and the methods import these; this module imports neither.
import type { Codes, LabelMatrix, Matrix, Modality } from '../core/matrix.js';
import type { FitControl, FitProgress, ResolvedOptions } from './ascmh-options.js';
import type { IterationTiming, PhaseProgress } from './fit-progress.js';

/** Paired training data: row i of image, text and labels describe the same item. */
export interface TrainingData {
  image: Matrix;
  text: Matrix;
  /** 0/1, multi-label allowed. A row with no label is allowed: it then shapes the codes only
   * through the reconstruction terms. */
  labels: LabelMatrix;
}

/** The methods this library trains. */
export type Method = 'ascmh' | 'batch' | 'scratch' | 'ddash' | 'csmh';

/**
 * How a modality's code is computed from its features (the tagged encoder of the model file):
 * - 'kernel-ridge': z = W^T (phi(x) - mean) (ASCMH, BATCH: kernel ridge regression onto B; CSMH:
 *   W is its learned projection, the same formula);
 * - 'kernel-projection-rotation': z = R W^T (phi(x) - mean) (SCRATCH: a projection, then the rotation R);
 * - 'mlp': z = W2^T relu(W1^T ((x - inputMean) .* inputScale) + b1) + b2 (DDASH: a network per modality).
 */
export type EncoderKind = 'kernel-ridge' | 'kernel-projection-rotation' | 'mlp';

/**
 * How the RBF width is set: 'mean-distance': exp(-d^2 / (2 sigma^2)) with sigma = width x the mean
 * sample-anchor distance (ASCMH); 'mean-squared-distance': exp(-d^2 / (2 sigma)) with sigma =
 * width x the mean squared distance over all training rows and anchors (BATCH, SCRATCH).
 */
export type SigmaRule = 'mean-distance' | 'mean-squared-distance';

/** Where a code bit is set: z >= 0 (ASCMH, SCRATCH) or z > 0 (BATCH's evaluate_BATCH.m). */
export type SignThreshold = 'nonnegative' | 'positive';

/** The learned hash function of one modality: code = sgn(W^T (phi(x) - mean)), or sgn(R W^T (...)). */
export interface HashFunctionParameters {
  /** Number of RBF anchors k and feature dimension d. */
  count: number;
  dim: number;
  anchors: Float64Array | Float32Array; // k x d (already centred when inputMean is set)
  sigma: number;
  mean: Float64Array | Float32Array; // k
  W: Float64Array | Float32Array; // k x bits
  /** Absent: 'mean-distance'. */
  sigmaRule?: SigmaRule;
  /** Raw-feature mean subtracted from x before the kernel (SCRATCH), d values. */
  inputMean?: Float64Array | Float32Array;
  /** bits x bits rotation applied after W (encoder kind 'kernel-projection-rotation'). */
  rotation?: Float64Array | Float32Array;
  /** Absent: 'nonnegative'. */
  threshold?: SignThreshold;
}

/** The hash network of one modality (encoder kind 'mlp'); code bit j is set where z_j >= 0. */
export interface MlpHashParameters {
  /** Input dimension d and hidden units h. */
  dim: number;
  hidden: number;
  /** z-score of the input: (x - inputMean) .* inputScale (1 / the training std), d values each. */
  inputMean: Float64Array | Float32Array;
  inputScale: Float64Array | Float32Array;
  W1: Float64Array | Float32Array; // d x h
  b1: Float64Array | Float32Array; // h
  W2: Float64Array | Float32Array; // h x bits
  b2: Float64Array | Float32Array; // bits
}

/** ASCMH's latent matrices of the last iteration (keepLatent). */
export interface LatentState {
  V: Float64Array | Float32Array; // bits x n
  R: Float64Array | Float32Array; // bits x bits
  M: Float64Array | Float32Array; // bits x classes
  B: Int8Array; // bits x n, +1/-1
}

/** What every cross-modal hashing model offers, whatever method trained it. */
export interface CrossModalHashModel {
  readonly method: Method;
  readonly bits: number;
  readonly trainingCodes: Codes;
  /** Codes of feature rows of a modality, on the calling thread (small batches). */
  encode(modality: Modality, features: Matrix): Codes;
  /** encode on a native thread (large batches, servers). */
  encodeAsync(modality: Modality, features: Matrix): Promise<Codes>;
  /**
   * The real-valued projections z (rows x bits) that encode() takes the sign of: bit j of a code is
   * set exactly where z_j >= 0 (z_j > 0 with the 'positive' threshold), for the same rows.
   */
  project(modality: Modality, features: Matrix): Matrix;
  /** project on a native thread. */
  projectAsync(modality: Modality, features: Matrix): Promise<Matrix>;
  /** The parameters of a kernel method's hash function, its sign threshold included (absent on DDASH, whose hash functions are networks). */
  hashFunction?(modality: Modality): HashFunctionParameters;
  /** Writes the model file atomically (temporary file, then rename). */
  save(path: string): Promise<void>;
}

/** A training method (ASCMH, BATCH, SCRATCH, DDASH; later CSMH): fit returns its model class. */
export interface CrossModalTrainer<O, M extends CrossModalHashModel = CrossModalHashModel, C = FitControl> {
  readonly method: Method;
  /** Trains on paired data off the main thread. */
  fit(data: TrainingData, options: O, control?: C): Promise<M>;
}

/** Progress of BATCH and SCRATCH, once per iteration. */
export interface MethodProgress {
  iteration: number;
  iterations: number;
  /** Entries of B that changed in this iteration (the first: against the initial B, or all). */
  changedBits: number;
  /** BATCH: eigenvalues of its V-step above the 1e-6 threshold (r' of r); SCRATCH: bits. */
  latentRank: number;
}

/** The fit control of BATCH and SCRATCH. */
export interface MethodFitControl {
  /** Called after every iteration, with its timing. */
  onProgress?: (progress: MethodProgress & IterationTiming) => void;
  /** Called as each phase starts: 'features', 'iterations', 'hash-functions'. */
  onPhase?: (progress: PhaseProgress) => void;
  /** Aborting rejects the fit with an AbortError (code ERR_ASCMH_CANCELLED) within one iteration. */
  signal?: AbortSignal;
  /** Also return the last iteration's latent matrices (tests). */
  keepLatent?: boolean;
  /**
   * @internal Testing hook: the random draws, instead of the seeded ones, so a port can be compared
   * with the authors' MATLAB code bit for bit. Anchors are 0-based training row indices; matrices
   * are row-major in the MATLAB code's orientation (BATCH: B0, V0 n x bits; SCRATCH: V0 bits x n,
   * R0 bits x bits orthogonal); BATCH's `completion[i]` is the randn(n, bits - r') of iteration i+1.
   */
  inject?: InjectedDraws;
}

/** The random draws a test can give instead of the seeded ones (the testing hook MethodFitControl.inject). */
export interface InjectedDraws {
  imageAnchors?: ArrayLike<number>;
  textAnchors?: ArrayLike<number>;
  B0?: Float64Array;
  V0?: Float64Array;
  R0?: Float64Array;
  completion?: Float64Array[];
}

/** A trained BATCH or SCRATCH model's state (what the model file holds). */
export interface MethodModelState<O> {
  method: Method;
  encoder: EncoderKind;
  options: O;
  image: HashFunctionParameters;
  text: HashFunctionParameters;
  trainingCodes: Codes;
  history: Omit<MethodProgress, 'iterations'>[];
  seconds: { features: number; iterations: number; hashFunctions: number; total: number };
  /** Named matrices of the last iteration and B as the method holds it, with keepLatent. */
  latent?: Record<string, Float64Array | Float32Array | Int8Array>;
}

/** A trained ASCMH model's state (what the model file holds). */
export interface ModelState {
  options: ResolvedOptions;
  image: HashFunctionParameters;
  text: HashFunctionParameters;
  trainingCodes: Codes;
  history: Omit<FitProgress, 'iterations'>[];
  /** Whether training stopped early by the convergence criterion. */
  converged?: boolean;
  seconds: { features: number; iterations: number; hashFunctions: number; total: number };
  latent?: LatentState;
}

