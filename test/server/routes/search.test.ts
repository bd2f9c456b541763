// POST /v1/search: every query form gives exactly what the index gives directly.
import { afterEach, describe, expect, it } from 'vitest';
import { parseResultBinary, type AscmhServer } from '../../../src/server/index.js';
import { base64Of, json, openServer, randomCodes, rowsOf, useServerFixture } from '../../helpers/server.js';

const fixture = useServerFixture();
let server: AscmhServer;
afterEach(async () => server?.close());

/** The direct answer as the JSON the server gives. */
function direct(result: { count: number; k: number; ids: BigInt64Array; distances: Uint16Array }, k = result.k) {
  return Array.from({ length: result.count }, (_, q) => ({
    ids: Array.from(result.ids.subarray(q * result.k, q * result.k + k), (id) => (id <= BigInt(Number.MAX_SAFE_INTEGER) && id >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id.toString())),
    distances: Array.from(result.distances.subarray(q * result.k, q * result.k + k)),
  }));
}

async function filled(extra: Partial<Parameters<typeof openServer>[1]> = {}) {
  server = await openServer(fixture, extra);
  await server.service.index!.add(fixture.model.trainingCodes);
  return server;
}

describe('POST /v1/search', () => {
  it('text feature queries: the ids and distances of index.search on the encoded queries', async () => {
    const { app, service } = await filled();
    const features = rowsOf(fixture.data.text, 0, 7);
    const res = await app.inject({ method: 'POST', url: '/v1/search', ...json({ modality: 'text', features, k: 10 }) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const expected = service.index!.search(fixture.model.encode('text', { rows: 7, cols: 10, data: new Float64Array(features.flat()) }), { k: 10 });
    expect(res.json()).toEqual({ bits: 64, k: 10, results: direct(expected) });
  });

  it('image feature queries and base64 code queries', async () => {
    const { app, service } = await filled();
    const features = rowsOf(fixture.data.image, 10, 13);
    const image = await app.inject({ method: 'POST', url: '/v1/search', ...json({ modality: 'image', features, k: 3 }) });
    const codes = fixture.model.encode('image', { rows: 3, cols: 12, data: new Float64Array(features.flat()) });
    expect(image.json().results).toEqual(direct(service.index!.search(codes, { k: 3 })));
    const byCodes = await app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(codes), k: 3 }) });
    expect(byCodes.json()).toEqual(image.json());
  });

  it('radius, with and without a limit, as searchRadius gives it', async () => {
    const { app, service } = await filled();
    const q = randomCodes(4, 3);
    for (const [radius, limit] of [[20, undefined], [28, 5], [0, undefined], [64, 1000]] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(q), radius, ...(limit ? { limit } : {}) }) });
      expect(res.statusCode).toBe(200);
      const r = service.index!.searchRadius(q, { radius, limit: limit ?? 1000 });
      const expected = Array.from({ length: 4 }, (_, i) => ({
        ids: Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1]), Number),
        distances: Array.from(r.distances.subarray(r.offsets[i], r.offsets[i + 1])),
      }));
      expect(res.json()).toEqual({ bits: 64, radius, limit: limit ?? 1000, results: expected });
    }
  });

  it('k above the index size is capped; an empty index gives empty lists', async () => {
    server = await openServer(fixture);
    const empty = await server.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(2, 1)), k: 5 }) });
    expect(empty.json()).toEqual({ bits: 64, k: 5, results: [{ ids: [], distances: [] }, { ids: [], distances: [] }] });
    await server.service.index!.add(randomCodes(3, 9));
    const res = await server.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: 1000 }) });
    expect(res.json().results[0].ids).toHaveLength(3);
  });

  it('binary form: raw codes in, k in the query string; JSON or the ASR1 layout out', async () => {
    const { app, service } = await filled();
    const q = randomCodes(5, 11);
    const body = Buffer.from(q.data); // 64 bits: the code file layout is the packed layout
    const asJson = await app.inject({ method: 'POST', url: '/v1/search?k=7', headers: { 'content-type': 'application/octet-stream' }, payload: body });
    expect(asJson.statusCode).toBe(200);
    const expected = service.index!.search(q, { k: 7 });
    expect(asJson.json()).toEqual({ bits: 64, k: 7, results: direct(expected) });
    const asBinary = await app.inject({
      method: 'POST', url: '/v1/search?k=7',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' }, payload: body,
    });
    expect(asBinary.headers['content-type']).toBe('application/octet-stream');
    const parsed = parseResultBinary(asBinary.rawPayload);
    expect(parsed.count).toBe(5);
    expect(Array.from(parsed.offsets)).toEqual([0, 7, 14, 21, 28, 35]);
    expect(parsed.ids).toEqual(expected.ids);
    expect(parsed.distances).toEqual(expected.distances);
    const radius = await app.inject({ method: 'POST', url: '/v1/search?radius=24&limit=3', headers: { 'content-type': 'application/octet-stream' }, payload: body });
    expect(radius.json()).toMatchObject({ radius: 24, limit: 3 });
  });

  it('ids beyond 2^53 come back as decimal strings, smaller ones as numbers', async () => {
    server = await openServer(fixture);
    const codes = randomCodes(4, 5);
    const ids = ['9007199254740993', '-9223372036854775808', 9007199254740991, '42'];
    const added = await server.app.inject({ method: 'POST', url: '/v1/items', ...json({ codes: base64Of(codes), ids }) });
    expect(added.json()).toEqual({ count: 4, ids: ['9007199254740993', '-9223372036854775808', 9007199254740991, 42] });
    const res = await server.app.inject({ method: 'POST', url: '/v1/search', ...json({ codes: base64Of(codes), k: 1 }) });
    expect(res.json().results.map((r: { ids: unknown[] }) => r.ids[0])).toEqual(['9007199254740993', '-9223372036854775808', 9007199254740991, 42]);
    expect(res.body).toContain('"9007199254740993"');
    const bin = await server.app.inject({
      method: 'POST', url: '/v1/search?k=1', headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' }, payload: Buffer.from(codes.data),
    });
    expect(Array.from(parseResultBinary(bin.rawPayload).ids)).toEqual([9007199254740993n, -9223372036854775808n, 9007199254740991n, 42n]);
  });
});
