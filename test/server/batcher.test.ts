// Micro-batching: concurrent searches become one native call, and each request gets exactly its
// own slice (the same as searching the index directly).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SearchBatcher, type SearchBackend } from '../../src/server/batcher.js';
import { HammingIndex } from '../../src/index.js';
import type { AscmhServer } from '../../src/server/index.js';
import { base64Of, json, openServer, randomCodes, rowsOf, useServerFixture } from '../helpers/server.js';

const fixture = useServerFixture();
let server: AscmhServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const asJson = (r: { count: number; k: number; ids: BigInt64Array; distances: Uint16Array }, k: number) =>
  Array.from({ length: r.count }, (_, q) => ({
    ids: Array.from(r.ids.subarray(q * r.k, q * r.k + Math.min(k, r.k)), Number),
    distances: Array.from(r.distances.subarray(q * r.k, q * r.k + Math.min(k, r.k))),
  }));

describe('micro-batching through HTTP', () => {
  it('60 concurrent requests (different k, feature and code queries) -> one native call, each its own slice', async () => {
    server = await openServer(fixture, { batching: { windowMs: 50, maxBatch: 100_000 } });
    const index = server.service.index!;
    await index.add(fixture.model.trainingCodes);
    await index.add(randomCodes(5000, 3));
    const spy = vi.spyOn(index, 'searchAsync');
    const requests = Array.from({ length: 60 }, (_, i) => {
      const k = 1 + ((i * 7) % 40);
      if (i % 2 === 0) {
        const features = rowsOf(fixture.data.text, i, i + 1 + (i % 3));
        const codes = fixture.model.encode('text', { rows: features.length, cols: 10, data: new Float64Array(features.flat()) });
        return { k, codes, body: { modality: 'text', features, k } };
      }
      const codes = randomCodes(1 + (i % 4), 100 + i);
      return { k, codes, body: { codes: base64Of(codes), k } };
    });
    const encodeSpy = vi.spyOn(fixture.model, 'encode');
    const answers = await Promise.all(requests.map((r) => server!.app.inject({ method: 'POST', url: '/v1/search', ...json(r.body) })));
    // The feature rows of the 30 feature requests were encoded in one call, and all 60 searched in one.
    expect(encodeSpy).toHaveBeenCalledTimes(1);
    expect(encodeSpy.mock.calls[0][1].rows).toBe(requests.filter((r) => 'modality' in r.body).reduce((n, r) => n + r.codes.count, 0));
    encodeSpy.mockRestore();
    expect(spy).toHaveBeenCalledTimes(1);
    const totalQueries = requests.reduce((n, r) => n + r.codes.count, 0);
    expect(spy.mock.calls[0][0].count).toBe(totalQueries);
    expect(spy.mock.calls[0][1]).toEqual({ k: 40 });
    answers.forEach((res, i) => {
      expect(res.statusCode).toBe(200);
      expect(res.json().results).toEqual(asJson(index.search(requests[i].codes, { k: requests[i].k }), requests[i].k));
    });
    expect(server.service.stats().batching).toMatchObject({ calls: 1, requests: 60, queries: totalQueries });
    // The batch sizes reach the metrics.
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/ascmh_search_batch_requests_sum\{kind="k"\} 60/);
    expect(metrics).toMatch(new RegExp(`ascmh_search_batch_queries_sum\\{kind="k"\\} ${totalQueries}`));
  });

  it('radius requests with the same radius and limit share a call; other radii get their own', async () => {
    server = await openServer(fixture, { batching: { windowMs: 50 } });
    const index = server.service.index!;
    await index.add(randomCodes(3000, 5));
    const spy = vi.spyOn(index, 'searchRadiusAsync');
    const qs = Array.from({ length: 12 }, (_, i) => randomCodes(2, 50 + i));
    const radius = (i: number) => (i < 8 ? 24 : 22);
    const answers = await Promise.all(qs.map((q, i) => server!.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(q), radius: radius(i), limit: 20 }) })));
    expect(spy).toHaveBeenCalledTimes(2);
    answers.forEach((res, i) => {
      const r = index.searchRadius(qs[i], { radius: radius(i), limit: 20 });
      expect(res.json().results).toEqual([0, 1].map((q) => ({
        ids: Array.from(r.ids.subarray(r.offsets[q], r.offsets[q + 1]), Number),
        distances: Array.from(r.distances.subarray(r.offsets[q], r.offsets[q + 1])),
      })));
    });
  });

  it('with batching off, one native call per request (same answers)', async () => {
    server = await openServer(fixture, { batching: { enabled: false } });
    const index = server.service.index!;
    await index.add(randomCodes(2000, 8));
    const spy = vi.spyOn(index, 'searchAsync');
    const qs = Array.from({ length: 20 }, (_, i) => randomCodes(1, 900 + i));
    const answers = await Promise.all(qs.map((q) => server!.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(q), k: 5 }) })));
    expect(spy).toHaveBeenCalledTimes(20);
    answers.forEach((res, i) => expect(res.json().results).toEqual(asJson(index.search(qs[i], { k: 5 }), 5)));
  });

  it('a full batch is sent at once (maxBatch queries), without waiting for the window', async () => {
    server = await openServer(fixture, { batching: { windowMs: 10_000, maxBatch: 8 } });
    const index = server.service.index!;
    await index.add(randomCodes(500, 8));
    const spy = vi.spyOn(index, 'searchAsync');
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => server!.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, i + 1)), k: 3 }) })));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(answers.every((r) => r.statusCode === 200)).toBe(true);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});

describe('SearchBatcher', () => {
  const index = new HammingIndex({ bits: 64 });
  index.add(randomCodes(1000, 1));

  it('a failed batch is retried request by request: one bad request cannot fail the others', async () => {
    let calls = 0;
    const backend: SearchBackend = {
      searchAsync: (q, o) => (++calls === 1 ? Promise.reject(new Error('transient')) : index.searchAsync(q, o)),
      searchRadiusAsync: (q, o) => index.searchRadiusAsync(q, o),
    };
    const batcher = new SearchBatcher(() => backend, { windowMs: 20 });
    const qs = [randomCodes(1, 1), randomCodes(2, 2), randomCodes(1, 3)];
    const out = await Promise.all(qs.map((q) => batcher.search({ codes: q }, 4)));
    expect(calls).toBe(4);
    expect(batcher.totals.retried).toBe(3);
    out.forEach((slice, i) => {
      const r = index.search(qs[i], { k: 4 });
      for (let q = 0; q < qs[i].count; q++) {
        expect(slice.ids.subarray(slice.from[q], slice.to[q])).toEqual(r.ids.subarray(q * 4, q * 4 + 4));
      }
    });
  });

  it('while a native call runs, requests wait and go together in the next call', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sizes: number[] = [];
    const backend: SearchBackend = {
      searchAsync: async (q, o) => {
        sizes.push(q.count);
        if (sizes.length === 1) await gate;
        return index.searchAsync(q, o);
      },
      searchRadiusAsync: (q, o) => index.searchRadiusAsync(q, o),
    };
    const batcher = new SearchBatcher(() => backend, { windowMs: 0 });
    const first = batcher.search({ codes: randomCodes(1, 1) }, 1);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 10 }, (_, i) => batcher.search({ codes: randomCodes(1, 10 + i) }, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batcher.waiting).toBe(10);
    release();
    await Promise.all([first, ...rest]);
    expect(sizes).toEqual([1, 10]);
  });
});
