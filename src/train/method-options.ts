// Options shared by the kernel-based methods, and one resolver for every method's option table.
import { type ErrorCode, fail } from '../core/errors.js';
import type { SigmaRule, SignThreshold } from './model.js';

/** The configurable kernel component (issue 13): anchors, sigma rule, widths, input centring. */
export interface KernelOptions {
  /** RBF anchors of the image / text kernel features (capped at the training rows when left unset). */
  imageAnchors?: number;
  textAnchors?: number;
  /** How sigma is set (see SigmaRule). */
  sigmaRule?: SigmaRule;
  /** sigma as a multiple of what the rule measures (1 in the authors' codes). */
  imageKernelWidth?: number;
  textKernelWidth?: number;
  /** Subtract the training mean of the raw features before the kernel (SCRATCH's Main_Wiki.m). */
  centreInputs?: boolean;
}

/** How an option of a method is checked. */
export type OptionCheck = 'positive-int' | 'nonnegative' | 'positive' | 'unit' | 'boolean' | 'seed' | 'iterations' | 'iterations1' | 'precision' | 'sigma-rule' | 'threshold';
/** A method's options: the default and the check of each (the *_DEFAULTS tables). */
export type OptionTable<O> = { [K in keyof O]-?: { default: O[K]; check: OptionCheck; anchors?: true } };

/** Fills defaults and checks every option against its table (bits: 8 to 1024, below the training rows). */
export function resolveMethodOptions<O extends { bits: number }>(method: string, table: Omit<OptionTable<O>, 'bits'>, options: unknown, trainingRows: number): Required<O> {
  if (options === null || typeof options !== 'object') fail('ERR_ASCMH_OPTION', 'options must be an object with at least { bits }');
  const o = options as Record<string, unknown>;
  const known = new Set(['bits', ...Object.keys(table)]);
  for (const key of Object.keys(o)) {
    if (!known.has(key) && o[key] !== undefined) fail('ERR_ASCMH_OPTION', `unknown ${method} option '${key}'`);
  }
  const bits = o.bits;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 8 || bits > 1024) {
    fail('ERR_ASCMH_BITS', `bits must be an integer from 8 to 1024, got ${String(bits)}`);
  }
  if (bits >= trainingRows) fail('ERR_ASCMH_BITS', `bits (${bits}) must be below the number of training rows (${trainingRows})`);
  const out: Record<string, unknown> = { bits };
  for (const [key, spec] of Object.entries(table) as [string, { default: unknown; check: OptionCheck; anchors?: true }][]) {
    let v = o[key];
    if (v === undefined) v = spec.anchors ? Math.min(spec.default as number, trainingRows) : spec.default;
    const bad = (what: string, code: ErrorCode = 'ERR_ASCMH_OPTION') => fail(code, `${key} must be ${what}, got ${String(v)}`);
    switch (spec.check) {
      case 'positive-int':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad('a positive integer', spec.anchors ? 'ERR_ASCMH_ANCHORS' : 'ERR_ASCMH_OPTION');
        if (spec.anchors && (v as number) > trainingRows) fail('ERR_ASCMH_ANCHORS', `${key} (${String(v)}) is more than the training rows (${trainingRows})`);
        break;
      case 'nonnegative':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad('a finite number >= 0');
        break;
      case 'positive':
        if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) bad('a finite number > 0');
        break;
      case 'unit':
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad('a number from 0 to 1');
        break;
      case 'boolean':
        if (typeof v !== 'boolean') bad('true or false');
        break;
      case 'seed':
        if (!Number.isSafeInteger(v) || (v as number) < 0) bad('a non-negative safe integer');
        break;
      case 'iterations':
        if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 10000) bad('an integer from 0 to 10000');
        break;
      case 'iterations1':
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 10000) bad('an integer from 1 to 10000');
        break;
      case 'precision':
        if (v !== 'float64' && v !== 'float32') bad("'float64' or 'float32'");
        break;
      case 'sigma-rule':
        if (v !== 'mean-distance' && v !== 'mean-squared-distance') bad("'mean-distance' or 'mean-squared-distance'");
        break;
      case 'threshold':
        if (v !== 'nonnegative' && v !== 'positive') bad("'nonnegative' or 'positive'");
        break;
    }
    out[key] = v;
  }
  return out as Required<O>;
}

export type { SigmaRule, SignThreshold };
