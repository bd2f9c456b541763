// The events of a fit's control: the native fit reports each phase as it starts ({ phase }) and
// then every iteration; this adds the time since the fit started and an estimate of what is left.
import { fail } from '../core/errors.js';

/**
 * The phases of a fit, in order: kernel features (DDASH: feature statistics), the iterations, the
 * hash functions. DDASH has no hash-functions phase: its networks are trained in the iterations.
 */
export type FitPhase = 'features' | 'iterations' | 'hash-functions';

/** The start of a phase of a fit (the fit control's `onPhase`). */
export interface PhaseProgress {
  phase: FitPhase;
  /** Seconds since `fit` was called. */
  elapsed: number;
}

/** What every iteration report passed to `onProgress` carries besides the method's own terms. */
export interface IterationTiming {
  phase: 'iterations';
  /** Seconds since `fit` was called. */
  elapsed: number;
  /**
   * Estimated seconds until the last iteration ends, at the mean pace of the iterations so far
   * (initialisation included). An upper bound when the fit stops early by its tolerance.
   */
  remaining: number;
}

/** Checks the fit control's onPhase. */
export function checkOnPhase(onPhase: unknown): void {
  if (onPhase !== undefined && typeof onPhase !== 'function') {
    fail('ERR_ASCMH_OPTION', 'onPhase must be a function');
  }
}

/**
 * The function that receives the native fit's raw reports: phase starts go to onPhase, iteration
 * reports to onIteration with their timing. Call it as the fit is started.
 */
export function fitEvents<R extends { iteration: number; iterations: number }>(
  onIteration: ((report: R & IterationTiming) => void) | undefined,
  onPhase: ((event: PhaseProgress) => void) | undefined,
): (raw: R | { phase: FitPhase }) => void {
  const started = performance.now();
  let iterationsStarted = started;
  return (raw) => {
    const now = performance.now();
    const elapsed = (now - started) / 1000;
    if ('phase' in raw) {
      if (raw.phase === 'iterations') iterationsStarted = now;
      onPhase?.({ phase: raw.phase, elapsed });
      return;
    }
    const perIteration = (now - iterationsStarted) / 1000 / Math.max(1, raw.iteration);
    onIteration?.({ ...raw, phase: 'iterations', elapsed, remaining: perIteration * Math.max(0, raw.iterations - raw.iteration) });
  };
}
