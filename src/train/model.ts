// What every cross-modal hashing method shares: its training data, its model's shape and state.
// The model file (io/model-file.ts) and the methods import these; this module imports neither.
import type { Codes, LabelMatrix, Matrix, Modality } from '../core/matrix.js';
import type { FitControl, FitProgress, ResolvedOptions } from './ascmh-options.js';

/** Paired training data: row i of image, text and labels describe the same item. */
export interface TrainingData {
  image: Matrix;
  text: Matrix;
  /** 0/1, multi-label allowed. A row with no label is allowed: it then shapes the codes only
   * through the reconstruction terms. */
  labels: LabelMatrix;
}

/** The learned hash function of one modality: code = sgn(W^T (phi(x) - mean)). */
export interface HashFunctionParameters {
  /** Number of RBF anchors k and feature dimension d. */
  count: number;
  dim: number;
  anchors: Float64Array | Float32Array; // k x d
  sigma: number;
  mean: Float64Array | Float32Array; // k
  W: Float64Array | Float32Array; // k x bits
}

export interface LatentState {
  V: Float64Array | Float32Array; // bits x n
  R: Float64Array | Float32Array; // bits x bits
  M: Float64Array | Float32Array; // bits x classes
  B: Int8Array; // bits x n, +1/-1
}

/** What every cross-modal hashing model offers, whatever method trained it. */
export interface CrossModalHashModel {
  readonly method: string;
  readonly bits: number;
  readonly trainingCodes: Codes;
  encode(modality: Modality, features: Matrix): Codes;
  encodeAsync(modality: Modality, features: Matrix): Promise<Codes>;
  save(path: string): Promise<void>;
}

/** A training method: ASCMH now; DDASH, CSMH, BATCH, SCRATCH implement the same shape. */
export interface CrossModalTrainer<O, M extends CrossModalHashModel = CrossModalHashModel> {
  readonly method: string;
  fit(data: TrainingData, options: O, control?: FitControl): Promise<M>;
}

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

