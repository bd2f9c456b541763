// POST /v1/items, DELETE /v1/items, GET /v1/items/:id, POST /v1/encode, GET /v1/stats.
import { afterEach, describe, expect, it } from 'vitest';
import { DurableHammingIndex } from '../../../src/index.js';
import type { AscmhServer } from '../../../src/server/index.js';
import { base64Of, json, openServer, randomCodes, rowsOf, useServerFixture } from '../../helpers/server.js';

const fixture = useServerFixture();
let server: AscmhServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('items', () => {
  it('adds features of a modality (encoded by the model), codes with ids, and raw codes; returns the ids', async () => {
    server = await openServer(fixture);
    const { app, service } = server;
    const image = rowsOf(fixture.data.image, 0, 4);
    const a = await app.inject({ method: 'POST', url: '/v1/items', ...json({ modality: 'image', features: image }) });
    expect(a.json()).toEqual({ count: 4, ids: [0, 1, 2, 3] });
    const encoded = fixture.model.encode('image', { rows: 4, cols: 12, data: new Float64Array(image.flat()) });
    for (let i = 0; i < 4; i++) expect(service.index!.get(i)).toEqual(encoded.data.subarray(i * 8, i * 8 + 8));
    const codes = randomCodes(2, 3);
    const b = await app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(codes), ids: [100, '200'] }) });
    expect(b.json()).toEqual({ count: 2, ids: [100, 200] });
    const c = await app.inject({ method: 'POST', url: '/v1/items', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(randomCodes(3, 4).data) });
    expect(c.json()).toEqual({ count: 3, ids: [201, 202, 203] });
    expect(service.index!.size).toBe(9);
    const got = await app.inject({ method: 'GET', url: '/v1/items/200' });
    expect(got.json()).toEqual({ id: 200, code: base64Of({ count: 1, bits: 64, data: codes.data.subarray(8, 16) }) });
  });

  it('deletes by id (unknown ids ignored); deleted items are gone from searches and from get', async () => {
    server = await openServer(fixture);
    const { app } = server;
    await app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(randomCodes(5, 6)) }) });
    const del = await app.inject({ method: 'DELETE', url: '/v1/items', ...json({ ids: [1, 3, 99, '4'] }) });
    expect(del.json()).toEqual({ removed: 3 });
    const res = await app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: 10 }) });
    expect(res.json().results[0].ids.sort()).toEqual([0, 2]);
    expect((await app.inject({ method: 'GET', url: '/v1/items/3' })).statusCode).toBe(404);
  });

  it('an acknowledged add is in the log: a reopened index has it (durability fsync, no checkpoint)', async () => {
    const dir = fixture.folder('idx');
    server = await openServer(fixture, { index: dir, durability: 'fsync', checkpointOnClose: false });
    const res = await server.app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(randomCodes(7, 7)), ids: Array.from({ length: 7 }, (_, i) => 1000 + i) }) });
    expect(res.statusCode).toBe(200);
    await server.close();
    server = undefined;
    const index = await DurableHammingIndex.open(dir);
    expect(index.size).toBe(7);
    expect(index.stats().replayed).toBe(1);
    expect(index.get(1006)).toEqual(randomCodes(7, 7).data.subarray(48, 56));
    await index.close();
  });

  it('concurrent adds are group-committed: fewer log writes than requests', async () => {
    server = await openServer(fixture, { durability: 'fsync' });
    const before = server.service.stats().index.logWrites as number;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => server!.app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(randomCodes(1, i + 1)), ids: [i] }) })));
    expect(answers.every((r) => r.statusCode === 200)).toBe(true);
    const writes = (server.service.stats().index.logWrites as number) - before;
    expect(writes).toBeLessThan(40);
  });
});

describe('encode and stats', () => {
  it('POST /v1/encode gives the model\'s codes as base64 of the code file layout', async () => {
    server = await openServer(fixture);
    const text = rowsOf(fixture.data.text, 20, 26);
    const res = await server.app.inject({ method: 'POST', url: '/v1/encode', ...json({ modality: 'text', features: text }) });
    const expected = fixture.model.encode('text', { rows: 6, cols: 10, data: new Float64Array(text.flat()) });
    expect(res.json()).toEqual({ bits: 64, count: 6, codes: base64Of(expected) });
  });

  it('large feature batches are encoded on a native thread, with the same codes', async () => {
    server = await openServer(fixture, { bodyLimit: 64 << 20, maxQueries: 20_000 });
    const rows = Array.from({ length: 7000 }, (_, i) => rowsOf(fixture.data.text, i % 300, (i % 300) + 1)[0]);
    const res = await server.app.inject({ method: 'POST', url: '/v1/encode', ...json({ modality: 'text', features: rows }) });
    expect(res.statusCode).toBe(200);
    const expected = fixture.model.encode('text', { rows: rows.length, cols: 10, data: new Float64Array(rows.flat()) });
    expect(res.json().codes).toBe(base64Of(expected));
  });

  it('GET /v1/stats: model, index, batching', async () => {
    server = await openServer(fixture);
    await server.service.index!.add(randomCodes(10, 1));
    await server.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: 1 }) });
    const stats = (await server.app.inject({ method: 'GET', url: '/v1/stats' })).json();
    expect(stats.model).toEqual({ method: 'ascmh', bits: 64, dimensions: { image: 12, text: 10 } });
    expect(stats.index).toMatchObject({ size: 10, bits: 64, durability: 'os' });
    expect(stats.batching).toMatchObject({ enabled: true, windowMs: 1, maxBatch: 256, calls: 1, requests: 1, queries: 1 });
    expect(stats.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});
