// ascmhRoutes inside an existing fastify app: the host keeps its own validation, errors and
// routes; the plugin's routes behave as in the standalone server.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableHammingIndex } from '../../src/index.js';
import { ascmhRoutes } from '../../src/server/index.js';
import { base64Of, json, randomCodes, useServerFixture } from '../helpers/server.js';

const fixture = useServerFixture();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function host() {
  const app = Fastify();
  cleanup.push(() => app.close());
  // The host's own route, with fastify's default (coercing) validation and error format.
  app.get('/host/:n', { schema: { params: { type: 'object', properties: { n: { type: 'integer' } } } } }, async (request) => ({ n: (request.params as { n: number }).n }));
  app.post('/host/echo', { schema: { body: { type: 'object', properties: { k: { type: 'integer' } }, required: ['k'] } } }, async (request) => request.body);
  return app;
}

async function index() {
  const idx = await DurableHammingIndex.open(fixture.folder('idx'), { bits: 64, durability: 'os' });
  cleanup.push(() => idx.close());
  return idx;
}

describe('ascmhRoutes in a host app', () => {
  it('registers the routes, decorates app.ascmh, and leaves the host\'s validation and errors alone', async () => {
    const app = await host();
    const idx = await index();
    await app.register(ascmhRoutes, { model: fixture.model, index: idx });
    await app.ready();
    expect(app.hasPlugin('ascmh')).toBe(true);
    expect(app.ascmh.ready).toBe(true);
    const add = await app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(randomCodes(3, 1)) }) });
    expect(add.json()).toEqual({ count: 3, ids: [0, 1, 2] });
    const res = await app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: 1 }) });
    expect(res.json().results[0]).toEqual({ ids: [0], distances: [0] });
    // The plugin's strict body validation: a string k is refused with a problem document ...
    const strict = await app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: '1' }) });
    expect(strict.statusCode).toBe(400);
    expect(strict.json().code).toBe('ERR_ASCMH_K');
    // ... while the host keeps fastify's defaults (coercion, its own error format).
    expect((await app.inject({ method: 'POST', url: '/host/echo', ...json({ k: '5' }) })).json()).toEqual({ k: 5 });
    const hostError = await app.inject({ method: 'POST', url: '/host/echo', ...json({}) });
    expect(hostError.statusCode).toBe(400);
    expect(hostError.headers['content-type']).toMatch(/^application\/json/);
    expect(hostError.json().code).toBe('FST_ERR_VALIDATION');
    expect((await app.inject({ method: 'GET', url: '/host/7' })).json()).toEqual({ n: 7 });
    // The octet-stream parser stays inside the plugin.
    const raw = await app.inject({ method: 'POST', url: '/host/echo', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(8) });
    expect(raw.statusCode).toBe(415);
  });

  it('a prefix; the model and the index as Promises (503 until both are there)', async () => {
    const app = await host();
    let resolveIndex!: (v: DurableHammingIndex) => void;
    const pending = new Promise<DurableHammingIndex>((resolve) => (resolveIndex = resolve));
    await app.register(ascmhRoutes, { model: Promise.resolve(fixture.model), index: pending, prefix: '/hash' });
    await app.ready();
    const early = await app.inject({ method: 'GET', url: '/hash/readyz' });
    expect(early.statusCode).toBe(503);
    expect(early.json().code).toBe('ERR_SERVER_NOT_READY');
    resolveIndex(await index());
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await app.inject({ method: 'GET', url: '/hash/readyz' })).statusCode).toBe(200);
    const res = await app.inject({ method: 'POST', url: '/hash/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: 1 }) });
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/search', ...json({}) })).statusCode).toBe(404);
  });

  it('a model whose code length differs from the index: not ready, with the reason', async () => {
    const app = await host();
    const idx = await DurableHammingIndex.open(fixture.folder('idx'), { bits: 32 });
    cleanup.push(() => idx.close());
    await app.register(ascmhRoutes, { model: fixture.model, index: Promise.resolve(idx) });
    await app.ready();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('ERR_ASCMH_BITS_MISMATCH');
  });

  it('the main entry (ascmh) never loads fastify', async () => {
    const { runScript } = await import('../helpers/child.js');
    const r = await runScript(`const { createRequire } = await import('node:module');
      const req = createRequire(import.meta.url);
      print(Object.keys(req.cache).some((p) => p.includes('/fastify/')) ? 'fastify loaded' : 'clean');
      print(typeof lib.ASCMH);`);
    expect(r.lines).toEqual(['clean', 'function']);
  });
});
