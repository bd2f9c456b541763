import { fail } from '../core/errors.js';
import type { IterationTiming, PhaseProgress } from './fit-progress.js';

/** Hyper-parameters of ASCMH. Defaults were tuned on Wiki's training part (see README). */
export interface AscmhOptions {
  /** Code length in bits, 8 to 1024. */
  bits: number;
  /** RBF anchors of the image / text kernel features (default 500 / 300, capped at the training rows). */
  imageAnchors?: number;
  textAnchors?: number;
  /** RBF width sigma of each modality as a multiple of the mean sample-anchor distance (default 0.7 / 0.5). */
  imageKernelWidth?: number;
  textKernelWidth?: number;
  /** Reconstruction weights lambda_1, lambda_2 (default 1e9 / 0.5: see the README's tuning notes). */
  lambdaImage?: number;
  lambdaText?: number;
  /** Weight of the asymmetric similarity term. */
  alpha?: number;
  /** Weight of the label term ||B - M L||^2. */
  omega?: number;
  /** Ridge lambda_h of the kernel ridge regression that learns both hash functions... */
  ridge?: number;
  /** ...or of each modality's own (each overrides `ridge`). */
  ridgeImage?: number;
  ridgeText?: number;
  /** Most alternating iterations T. */
  iterations?: number;
  /** Stop early once an iteration flips no bit of B and changes the objective by at most
   * tolerance * |objective| (the paper's "until convergence"); 0 always runs every iteration. */
  tolerance?: number;
  /** Seed of anchors and initialisation: the same data, options and seed give identical codes. */
  seed?: number;
  /** Arithmetic of the kernel features and the update steps. */
  precision?: 'float64' | 'float32';
}

/** The control of ASCMH.fit: progress, cancellation, diagnostics. */
export interface FitControl {
  /** Called after every iteration with the three objective terms and the timing. */
  onProgress?: (progress: FitProgress & IterationTiming) => void;
  /** Called as each phase starts: 'features', 'iterations', 'hash-functions'. */
  onPhase?: (progress: PhaseProgress) => void;
  /** Aborting rejects the fit with an AbortError (code ERR_ASCMH_CANCELLED) within one iteration. */
  signal?: AbortSignal;
  /** Also return V, R, M, B (diagnostics and tests; costs an r x n matrix). */
  keepLatent?: boolean;
  /**
   * @internal Testing hook: how the products of the initial Gaussian matrix are obtained. Both
   * have the same distribution; by default the cheaper one is taken.
   */
  initialisation?: 'drawn' | 'sampled';
}

/** One iteration of ASCMH: the objective's three terms, the latent rank and the bits B changed. */
export interface FitProgress {
  iteration: number;
  iterations: number;
  reconstruction: number;
  similarity: number;
  label: number;
  /** Rank of C J at this V-step; below `bits` the V-step completed V with random directions. */
  latentRank: number;
  /** Bits of B the B-step flipped. */
  changedBits: number;
}

/** ASCMH options with every default filled in. */
export type ResolvedOptions = Required<Omit<AscmhOptions, 'ridge'>>;

/** ASCMH's defaults (exported as defaultOptions), tuned on Wiki's training part. */
export const DEFAULTS: Omit<ResolvedOptions, 'bits'> = {
  imageAnchors: 500,
  textAnchors: 300,
  imageKernelWidth: 0.7,
  textKernelWidth: 0.5,
  lambdaImage: 1e9,
  lambdaText: 0.5,
  alpha: 1,
  omega: 0.01,
  ridgeImage: 1,
  ridgeText: 0.001,
  iterations: 5,
  tolerance: 1e-6,
  seed: 0,
  precision: 'float64',
};

const KNOWN = new Set<string>(['bits', 'ridge', ...Object.keys(DEFAULTS)]);

/** Fills defaults and checks every option; anchors left unset are capped at the training rows. */
export function resolveOptions(options: unknown, trainingRows: number): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'options must be an object with at least { bits }');
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key) && o[key] !== undefined) fail('ERR_ASCMH_OPTION', `unknown option '${key}'`);
  }
  const bits = o.bits;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 8 || bits > 1024) {
    fail('ERR_ASCMH_BITS', `bits must be an integer from 8 to 1024, got ${String(bits)}`);
  }
  if (bits >= trainingRows) {
    fail('ERR_ASCMH_BITS', `bits (${bits}) must be below the number of training rows (${trainingRows}): V V^T = n I with V 1 = 0 needs n > bits`);
  }
  const pick = <K extends keyof typeof DEFAULTS>(key: K) => (o[key] === undefined ? DEFAULTS[key] : o[key]) as (typeof DEFAULTS)[K];
  const resolved: ResolvedOptions = {
    bits,
    imageAnchors: o.imageAnchors === undefined ? Math.min(DEFAULTS.imageAnchors, trainingRows) : (o.imageAnchors as number),
    textAnchors: o.textAnchors === undefined ? Math.min(DEFAULTS.textAnchors, trainingRows) : (o.textAnchors as number),
    imageKernelWidth: pick('imageKernelWidth'),
    textKernelWidth: pick('textKernelWidth'),
    lambdaImage: pick('lambdaImage'),
    lambdaText: pick('lambdaText'),
    alpha: pick('alpha'),
    omega: pick('omega'),
    ridgeImage: (o.ridgeImage ?? o.ridge ?? DEFAULTS.ridgeImage) as number,
    ridgeText: (o.ridgeText ?? o.ridge ?? DEFAULTS.ridgeText) as number,
    iterations: pick('iterations'),
    tolerance: pick('tolerance'),
    seed: pick('seed'),
    precision: pick('precision'),
  };
  for (const key of ['imageAnchors', 'textAnchors'] as const) {
    const v = resolved[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail('ERR_ASCMH_ANCHORS', `${key} must be a positive integer`);
    if (v > trainingRows) fail('ERR_ASCMH_ANCHORS', `${key} (${v}) is more than the training rows (${trainingRows})`);
  }
  for (const key of ['lambdaImage', 'lambdaText', 'alpha', 'omega'] as const) {
    const v = resolved[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('ERR_ASCMH_OPTION', `${key} must be a finite number >= 0`);
  }
  for (const key of ['ridgeImage', 'ridgeText', 'imageKernelWidth', 'textKernelWidth'] as const) {
    const v = resolved[key];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail('ERR_ASCMH_OPTION', `${key} must be a finite number > 0`);
  }
  if (!Number.isInteger(resolved.iterations) || resolved.iterations < 0 || resolved.iterations > 10000) {
    fail('ERR_ASCMH_OPTION', 'iterations must be an integer from 0 to 10000');
  }
  if (typeof resolved.tolerance !== 'number' || !(resolved.tolerance >= 0) || !Number.isFinite(resolved.tolerance)) {
    fail('ERR_ASCMH_OPTION', 'tolerance must be a finite number >= 0');
  }
  if (!Number.isSafeInteger(resolved.seed) || resolved.seed < 0) fail('ERR_ASCMH_OPTION', 'seed must be a non-negative safe integer');
  if (resolved.precision !== 'float64' && resolved.precision !== 'float32') {
    fail('ERR_ASCMH_OPTION', "precision must be 'float64' or 'float32'");
  }
  return resolved;
}
