// The standalone app: readiness during startup and shutdown, the index lock at startup, the
// OpenAPI document, metrics, load shedding, draining on close.
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DurableHammingIndex } from '../../src/index.js';
import { buildServer, type AscmhServer } from '../../src/server/index.js';
import { base64Of, json, openServer, randomCodes, useServerFixture } from '../helpers/server.js';

const fixture = useServerFixture();
const servers: AscmhServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
const track = (s: AscmhServer) => (servers.push(s), s);
const search = (seed = 1) => ({ method: 'POST' as const, url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, seed)), k: 2 }) });

describe('readiness', () => {
  it('before the index is open: /healthz 200, /readyz and /v1 routes 503 with Retry-After; then ready', async () => {
    const server = track(await buildServer({ model: fixture.model, index: fixture.folder('idx'), durability: 'os', pressure: { maxEventLoopDelay: 0 } }));
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ code: 'ERR_SERVER_NOT_READY' });
    const early = await server.app.inject(search());
    expect(early.statusCode).toBe(503);
    expect(early.headers['retry-after']).toBe('1');
    await server.open();
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    expect((await server.app.inject(search())).statusCode).toBe(200);
  });

  it('ready only after the log is replayed: a reopened index has every acknowledged write', async () => {
    const dir = fixture.folder('idx');
    const first = await openServer(fixture, { index: dir, checkpointOnClose: false });
    const added = await first.app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(randomCodes(50, 2)) }) });
    expect(added.statusCode).toBe(200);
    await first.close();
    const second = track(await buildServer({ model: fixture.model, index: dir, pressure: { maxEventLoopDelay: 0 } }));
    expect((await second.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    await second.open();
    expect((await second.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const stats = (await second.app.inject({ method: 'GET', url: '/v1/stats' })).json();
    expect(stats.index).toMatchObject({ size: 50, replayed: 1 });
  });

  it('while another process holds the index: 503 ERR_ASCMH_INDEX_LOCKED, ready once the lock is free', async () => {
    const dir = fixture.folder('idx');
    const holder = await DurableHammingIndex.open(dir, { bits: 64 });
    const server = track(await buildServer({ model: fixture.model, index: dir, lockWaitMs: 10_000, pressure: { maxEventLoopDelay: 0 } }));
    const opened = server.open();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const locked = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(locked.statusCode).toBe(503);
    expect(locked.json()).toMatchObject({ code: 'ERR_ASCMH_INDEX_LOCKED' });
    expect((await server.app.inject(search())).json().code).toBe('ERR_ASCMH_INDEX_LOCKED');
    await holder.close();
    await opened;
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('a lock that stays: open() rejects with ERR_ASCMH_INDEX_LOCKED after the wait', async () => {
    const dir = fixture.folder('idx');
    const holder = await DurableHammingIndex.open(dir, { bits: 64 });
    const server = track(await buildServer({ model: fixture.model, index: dir, lockWaitMs: 200, pressure: { maxEventLoopDelay: 0 } }));
    await expect(server.open()).rejects.toMatchObject({ code: 'ERR_ASCMH_INDEX_LOCKED' });
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).json().code).toBe('ERR_ASCMH_INDEX_LOCKED');
    await holder.close();
  });

  it('an index of another code length is refused (ERR_ASCMH_BITS_MISMATCH)', async () => {
    const dir = fixture.folder('idx');
    await (await DurableHammingIndex.open(dir, { bits: 128 })).close();
    const server = track(await buildServer({ model: fixture.model, index: dir, pressure: { maxEventLoopDelay: 0 } }));
    await expect(server.open()).rejects.toMatchObject({ code: 'ERR_ASCMH_BITS_MISMATCH' });
  });
});

describe('shutdown', () => {
  it('draining: /readyz 503 at once, requests still served, then in-flight requests finish and the index is checkpointed', async () => {
    const dir = fixture.folder('idx');
    const server = await openServer(fixture, { index: dir, drainDelayMs: 300 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const index = server.service.index!;
    await index.add(randomCodes(100, 4));
    // Hold one search inside the native call until after close() has begun.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = index.searchAsync.bind(index);
    vi.spyOn(index, 'searchAsync').mockImplementation(async (q, o) => {
      await gate;
      return original(q, o);
    });
    const address = server.app.addresses()[0];
    const inflight = fetch(`http://127.0.0.1:${address.port}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: search().payload });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const added = server.app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(randomCodes(10, 5)) }) });
    const closing = server.close();
    const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().code).toBe('ERR_SERVER_SHUTTING_DOWN');
    expect((await added).statusCode).toBe(200);
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect((await res.json()).results[0].ids).toHaveLength(2);
    await closing;
    const reopened = await DurableHammingIndex.open(dir);
    expect(reopened.size).toBe(110);
    const stats = reopened.stats();
    expect(stats.snapshotSequence).toBe(stats.lastSequence);
    expect(stats.replayed).toBe(0);
    await reopened.close();
  });

  it('closing: routes answer 503 ERR_SERVER_SHUTTING_DOWN (problem document, Connection: close)', async () => {
    const server = track(await openServer(fixture));
    server.service.close();
    const res = await server.app.inject(search());
    expect(res.statusCode).toBe(503);
    expect(res.headers.connection).toBe('close');
    expect(res.json().code).toBe('ERR_SERVER_SHUTTING_DOWN');
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3 document with every route, both body types and problem responses', async () => {
    const server = track(await openServer(fixture));
    const res = await server.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/v1/encode', '/v1/items', '/v1/items/{id}', '/v1/search', '/v1/stats']);
    expect(Object.keys(doc.paths['/v1/items']).sort()).toEqual(['delete', 'post']);
    const searchOp = doc.paths['/v1/search'].post;
    expect(Object.keys(searchOp.requestBody.content).sort()).toEqual(['application/json', 'application/octet-stream']);
    expect(Object.keys(searchOp.responses['200'].content).sort()).toEqual(['application/json', 'application/octet-stream']);
    expect(searchOp.responses['400'].content['application/problem+json'].schema.properties.code).toBeDefined();
    expect(searchOp.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['k', 'limit', 'radius']);
  });
});

describe('metrics', () => {
  it('Prometheus text: latency per route, batch sizes, index size, event-loop delay', async () => {
    const server = track(await openServer(fixture));
    await server.service.index!.add(randomCodes(123, 1));
    for (let i = 0; i < 3; i++) await server.app.inject(search(i + 1));
    await server.app.inject({ method: 'POST', url: '/v1/search', ...json({ k: 0 }) });
    const res = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/ascmh_http_request_duration_seconds_count\{method="POST",route="\/v1\/search",status="200"\} 3/);
    expect(text).toMatch(/ascmh_http_request_duration_seconds_count\{method="POST",route="\/v1\/search",status="400"\} 1/);
    expect(text).toMatch(/ascmh_search_batch_queries_count\{kind="k"\} 3/);
    expect(text).toMatch(/ascmh_index_size 123/);
    expect(text).toMatch(/ascmh_event_loop_delay_seconds\{stat="p99"\} /);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds/);
  });
});

describe('load shedding', () => {
  it('while the event loop lags past the limit: 503 ERR_SERVER_OVERLOADED with Retry-After; probes still answer', async () => {
    const server = track(await openServer(fixture, { pressure: { maxEventLoopDelay: 30, sampleInterval: 10, retryAfter: 7 } }));
    let shed;
    for (let attempt = 0; attempt < 40 && !shed; attempt++) {
      const until = performance.now() + 150;
      while (performance.now() < until); // block the loop
      await new Promise((resolve) => setTimeout(resolve, 12));
      const res = await server.app.inject(search());
      if (res.statusCode === 503) shed = res;
    }
    expect(shed, 'no 503 seen').toBeDefined();
    expect(shed!.headers['retry-after']).toBe('7');
    expect(shed!.json()).toMatchObject({ status: 503, code: 'ERR_SERVER_OVERLOADED' });
    const until = performance.now() + 150;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 12));
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

