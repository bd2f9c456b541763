// The fit's control argument (issue 10, item 11): an exception thrown by onProgress is what the fit
// rejects with, and the training stops; a `signal` that is not an AbortSignal is refused before
// any native work starts. Before the fix the thrown error was lost (the fit resolved, or rejected
// as cancelled) and `signal: {}` threw an uncoded TypeError after the native fit had started.
import { describe, expect, it } from 'vitest';
import { ASCMH, AscmhError } from '../../src/index.js';
import { smallSet } from '../helpers/fixtures.js';

const data = smallSet(200);
const options = { bits: 16, imageAnchors: 30, textAnchors: 30, iterations: 5, tolerance: 0 };

describe('fit control', () => {
  it('rejects with the exact error onProgress threw, after the first iteration', async () => {
    const boom = new Error('progress display failed');
    let calls = 0;
    await expect(ASCMH.fit(data, options, { onProgress: () => { calls++; throw boom; } })).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it('rejects with a thrown non-Error value as well', async () => {
    await expect(ASCMH.fit(data, options, { onProgress: () => { throw 'plain string'; } })).rejects.toBe('plain string');
  });

  it('a callback that throws only at a later iteration stops the fit there', async () => {
    const seen: number[] = [];
    await expect(ASCMH.fit(data, options, { onProgress: (p) => { seen.push(p.iteration); if (p.iteration === 3) throw new RangeError('late'); } }))
      .rejects.toThrow(RangeError);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('refuses a signal that is not an AbortSignal, before training', async () => {
    for (const signal of [{}, { aborted: false }, 'abort', 1]) {
      await expect(ASCMH.fit(data, options, { signal } as never)).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION', message: /AbortSignal/ });
    }
    await expect(ASCMH.fit(data, options, null as never)).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });

  it('an aborted signal still cancels with ERR_ASCMH_CANCELLED', async () => {
    const controller = new AbortController();
    // Enough iterations that the fit cannot finish before the first progress report reaches JS.
    const fit = ASCMH.fit(data, { ...options, iterations: 10000 }, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(fit).rejects.toMatchObject({ code: 'ERR_ASCMH_CANCELLED', name: 'AbortError' });
  });

  it('an abort rejects as Node does: an AbortError whose cause is signal.reason, with our code kept', async () => {
    const controller = new AbortController();
    const reason = new Error('user pressed stop');
    const fit = ASCMH.fit(data, { ...options, iterations: 10000 }, { signal: controller.signal, onProgress: () => controller.abort(reason) });
    const err = await fit.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AscmhError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ERR_ASCMH_CANCELLED' });
    expect((err as Error).cause).toBe(reason);
    // An already aborted signal: its default reason (a DOMException named AbortError) is the cause.
    const early = AbortSignal.abort();
    const before = await ASCMH.fit(data, options, { signal: early }).catch((e: unknown) => e);
    expect(before).toMatchObject({ name: 'AbortError', code: 'ERR_ASCMH_CANCELLED' });
    expect((before as Error).cause).toBe(early.reason);
  });
});
