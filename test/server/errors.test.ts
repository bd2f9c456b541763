// Bad input is always a 4xx problem document with a stable code: never a 5xx, never a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AscmhError } from '../../src/index.js';
import { STATUS_OF_CODE, toProblem, type AscmhServer } from '../../src/server/index.js';
import { base64Of, json, openServer, randomCodes, rowsOf, useServerFixture } from '../helpers/server.js';
import { rng } from '../helpers/hamming-reference.js';

const fixture = useServerFixture();
let server: AscmhServer;
beforeAll(async () => {
  server = await openServer(fixture, { bodyLimit: 1 << 20, maxK: 500, maxQueries: 100, maxResults: 10_000 });
  await server.service.index!.add(fixture.model.trainingCodes);
});
afterAll(async () => server?.close());

type Inject = Parameters<AscmhServer['app']['inject']>[0];

async function problem(request: Inject, status: number, code: string) {
  const res = await server.app.inject(request);
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code, type: `urn:ascmh:problem:${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

const text = () => rowsOf(fixture.data.text, 0, 2);
const post = (url: string, body: unknown): Inject => ({ method: 'POST', url, ...json(body) });

describe('bad input: each gives its 4xx and code', () => {
  it('malformed JSON, an empty body, a wrong content type, prototype poisoning', async () => {
    await problem({ method: 'POST', url: '/v1/search', headers: { 'content-type': 'application/json' }, payload: '{"modality":"text",' }, 400, 'ERR_SERVER_BAD_JSON');
    await problem({ method: 'POST', url: '/v1/search', headers: { 'content-type': 'application/json' }, payload: '' }, 400, 'ERR_SERVER_EMPTY_BODY');
    await problem({ method: 'POST', url: '/v1/search', headers: { 'content-type': 'text/plain' }, payload: 'k=3' }, 415, 'ERR_SERVER_MEDIA_TYPE');
    await problem({ method: 'POST', url: '/v1/encode', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(8) }, 415, 'ERR_SERVER_MEDIA_TYPE');
    await problem({ method: 'POST', url: '/v1/search', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"k":1},"codes":"AAAAAAAAAAA=","k":1}' }, 400, 'ERR_SERVER_BAD_JSON');
  });

  it('wrong types', async () => {
    await problem(post('/v1/search', { modality: 'text', features: text(), k: '10' }), 400, 'ERR_ASCMH_K');
    await problem(post('/v1/search', { modality: 'text', features: 'rows', k: 10 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { modality: 'text', features: [[1, 2, 'x', 4, 5, 6, 7, 8, 9, 10]], k: 10 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { modality: 'text', features: [[...text()[0].slice(0, 9), null]], k: 10 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { codes: 12345, k: 1 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', [1, 2, 3]), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { codes: base64Of(randomCodes(1, 1)), k: 1, extra: true }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/items', { codes: base64Of(randomCodes(1, 1)), ids: [true] }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { codes: 'A$$$', k: 1 }), 400, 'ERR_SERVER_VALIDATION');
  });

  it('a wrong feature width, ragged rows, a non-finite value', async () => {
    await problem(post('/v1/search', { modality: 'text', features: [[1, 2, 3]], k: 10 }), 400, 'ERR_ASCMH_SHAPE');
    await problem(post('/v1/search', { modality: 'image', features: text(), k: 10 }), 400, 'ERR_ASCMH_SHAPE');
    await problem(post('/v1/search', { modality: 'text', features: [text()[0], text()[1].slice(0, 9)], k: 10 }), 400, 'ERR_ASCMH_SHAPE');
    await problem(post('/v1/encode', { modality: 'text', features: [[1, 2, 3]] }), 400, 'ERR_ASCMH_SHAPE');
    await problem(post('/v1/items', { modality: 'text', features: [[1, 2, 3]] }), 400, 'ERR_ASCMH_SHAPE');
    // 1e999 parses as Infinity: valid JSON, not a finite feature.
    const payload = JSON.stringify({ modality: 'text', features: [text()[0]], k: 3 }).replace(/\[\[[^,\]]+/, '[[1e999');
    await problem({ method: 'POST', url: '/v1/search', headers: { 'content-type': 'application/json' }, payload }, 400, 'ERR_ASCMH_NON_FINITE');
  });

  it('base64 or raw codes of the wrong length', async () => {
    await problem(post('/v1/search', { codes: Buffer.alloc(7).toString('base64'), k: 1 }), 400, 'ERR_ASCMH_CODES_LENGTH');
    await problem(post('/v1/search', { codes: Buffer.alloc(17).toString('base64'), k: 1 }), 400, 'ERR_ASCMH_CODES_LENGTH');
    await problem(post('/v1/items', { codes: Buffer.alloc(9).toString('base64') }), 400, 'ERR_ASCMH_CODES_LENGTH');
    await problem(post('/v1/search', { codes: 'AAAAA', k: 1 }), 400, 'ERR_SERVER_BAD_BASE64');
    const raw = (payload: Buffer, url = '/v1/search?k=1'): Inject => ({ method: 'POST', url, headers: { 'content-type': 'application/octet-stream' }, payload });
    await problem(raw(Buffer.alloc(12)), 400, 'ERR_ASCMH_CODES_LENGTH');
    await problem(raw(Buffer.alloc(12), '/v1/items'), 400, 'ERR_ASCMH_CODES_LENGTH');
    await problem(raw(Buffer.alloc(0)), 400, 'ERR_ASCMH_CODES_LENGTH');
  });

  it('k, radius and limit out of range or combined wrongly', async () => {
    const codes = base64Of(randomCodes(1, 2));
    for (const k of [0, -1, 1.5, 501]) await problem(post('/v1/search', { codes, k }), 400, 'ERR_ASCMH_K');
    await problem({ method: 'POST', url: '/v1/search?k=0', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(8) }, 400, 'ERR_ASCMH_K');
    await problem({ method: 'POST', url: '/v1/search?k=ten', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(8) }, 400, 'ERR_ASCMH_K');
    await problem(post('/v1/search', { codes, radius: 65 }), 400, 'ERR_ASCMH_RADIUS');
    await problem(post('/v1/search', { codes, radius: -1 }), 400, 'ERR_ASCMH_RADIUS');
    await problem(post('/v1/search', { codes, radius: 3, limit: 0 }), 400, 'ERR_ASCMH_LIMIT');
    await problem(post('/v1/search', { codes, k: 3, limit: 2 }), 400, 'ERR_ASCMH_LIMIT');
    await problem(post('/v1/search', { codes, k: 3, radius: 2 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { codes }), 400, 'ERR_SERVER_VALIDATION');
    await problem({ method: 'POST', url: '/v1/search?k=3', ...json({ codes, k: 3 }) }, 400, 'ERR_SERVER_VALIDATION');
    // 100 queries x 500 results: more than the 10,000 entries allowed.
    await problem(post('/v1/search', { codes: base64Of(randomCodes(100, 2)), k: 500 }), 413, 'ERR_SERVER_TOO_MANY_RESULTS');
  });

  it('an unknown modality; features without a modality; both features and codes', async () => {
    await problem(post('/v1/search', { modality: 'audio', features: text(), k: 1 }), 400, 'ERR_ASCMH_MODALITY');
    await problem(post('/v1/encode', { modality: 'audio', features: text() }), 400, 'ERR_ASCMH_MODALITY');
    await problem(post('/v1/search', { features: text(), k: 1 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { modality: 'text', features: text(), codes: base64Of(randomCodes(1, 1)), k: 1 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { modality: 'text', codes: base64Of(randomCodes(1, 1)), k: 1 }), 400, 'ERR_SERVER_VALIDATION');
  });

  it('a huge body, too many queries or ids', async () => {
    const big = JSON.stringify({ modality: 'text', features: Array.from({ length: 20000 }, () => text()[0]), k: 1 });
    expect(big.length).toBeGreaterThan(1 << 20);
    await problem({ method: 'POST', url: '/v1/search', headers: { 'content-type': 'application/json' }, payload: big }, 413, 'ERR_SERVER_BODY_TOO_LARGE');
    await problem({ method: 'POST', url: '/v1/items', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc((1 << 20) + 8) }, 413, 'ERR_SERVER_BODY_TOO_LARGE');
    await problem(post('/v1/search', { modality: 'text', features: Array.from({ length: 101 }, () => text()[0]), k: 1 }), 400, 'ERR_SERVER_VALIDATION');
    await problem(post('/v1/search', { codes: base64Of(randomCodes(101, 1)), k: 1 }), 400, 'ERR_SERVER_VALIDATION');
    await problem({ method: 'DELETE', url: '/v1/items', ...json({ ids: Array.from({ length: 101 }, (_, i) => i) }) }, 400, 'ERR_SERVER_VALIDATION');
  });

  it('ids: duplicates, wrong count, outside int64, unsafe numbers', async () => {
    const two = base64Of(randomCodes(2, 77));
    expect((await server.app.inject(post('/v1/items', { codes: two, ids: [5000, 5001] }))).statusCode).toBe(200);
    await problem(post('/v1/items', { codes: two, ids: [5000, 6000] }), 409, 'ERR_ASCMH_DUPLICATE_ID');
    await problem(post('/v1/items', { codes: two, ids: [7000, 7000] }), 409, 'ERR_ASCMH_DUPLICATE_ID');
    await problem(post('/v1/items', { codes: two, ids: [7000] }), 400, 'ERR_ASCMH_IDS_LENGTH');
    await problem(post('/v1/items', { codes: two, ids: ['9223372036854775808', 1] }), 400, 'ERR_ASCMH_ID_RANGE');
    await problem(post('/v1/items', { codes: two, ids: [2 ** 60, 1] }), 400, 'ERR_SERVER_VALIDATION');
    await problem({ method: 'DELETE', url: '/v1/items', ...json({ ids: ['-9223372036854775809'] }) }, 400, 'ERR_ASCMH_ID_RANGE');
    await problem({ method: 'DELETE', url: '/v1/items', ...json({ ids: [] }) }, 400, 'ERR_SERVER_VALIDATION');
    await problem({ method: 'GET', url: '/v1/items/abc' }, 400, 'ERR_SERVER_VALIDATION');
    await problem({ method: 'GET', url: '/v1/items/123456789' }, 404, 'ERR_SERVER_NOT_FOUND');
  });

  it('unknown routes and methods: 404 problem documents', async () => {
    await problem({ method: 'GET', url: '/v2/search' }, 404, 'ERR_SERVER_NOT_FOUND');
    await problem({ method: 'GET', url: '/v1/search' }, 404, 'ERR_SERVER_NOT_FOUND');
  });

  it('random mutations of valid bodies never give a 5xx', async () => {
    const rand = rng(7);
    const valid = [
      { url: '/v1/search', body: { modality: 'text', features: text(), k: 3 } },
      { url: '/v1/search', body: { codes: base64Of(randomCodes(2, 3)), radius: 10, limit: 4 } },
      { url: '/v1/encode', body: { modality: 'image', features: rowsOf(fixture.data.image, 0, 2) } },
      { url: '/v1/items', body: { codes: base64Of(randomCodes(2, 4)), ids: [1e6, '1000001'] } },
    ];
    const junk = [null, true, -1, 0, 1e308, 1e999, 'text', '', [], [[]], [[1]], {}, { a: 1 }, 'AAAAAAAAAAA=', 2 ** 63, -0.5, '9'.repeat(30)];
    const mutate = (v: unknown, depth: number): unknown => {
      if (rand() < 0.25 || depth > 3) return junk[Math.floor(rand() * junk.length)];
      if (Array.isArray(v)) return v.length && rand() < 0.5 ? v.map((x) => (rand() < 0.3 ? mutate(x, depth + 1) : x)) : [...v, mutate(v[0], depth + 1)];
      if (v && typeof v === 'object') {
        const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
        const keys = Object.keys(o);
        const key = keys[Math.floor(rand() * keys.length)];
        if (rand() < 0.2) delete o[key];
        else o[key] = mutate(o[key], depth + 1);
        return o;
      }
      return junk[Math.floor(rand() * junk.length)];
    };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const { url, body } = valid[i % valid.length];
      const payload = JSON.stringify(mutate(body, 0)).replace('1e+308', '1e999');
      const cut = rand() < 0.1 ? payload.slice(0, Math.floor(rand() * payload.length)) : payload;
      const res = await server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: cut });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      expect(res.statusCode, `${url} ${cut.slice(0, 200)} -> ${res.body.slice(0, 200)}`).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(statuses.get(400)).toBeGreaterThan(50);
  });
});

describe('the code -> status table', () => {
  it('maps the library codes a request can cause to 4xx, the server state to 503', () => {
    for (const code of ['ERR_ASCMH_SHAPE', 'ERR_ASCMH_NON_FINITE', 'ERR_ASCMH_BITS_MISMATCH', 'ERR_ASCMH_CODES_LENGTH', 'ERR_ASCMH_K', 'ERR_ASCMH_MODALITY', 'ERR_ASCMH_ID_RANGE']) expect(STATUS_OF_CODE[code]).toBe(400);
    expect(STATUS_OF_CODE.ERR_ASCMH_DUPLICATE_ID).toBe(409);
    expect(STATUS_OF_CODE.ERR_ASCMH_TOO_LARGE).toBe(413);
    expect(STATUS_OF_CODE.ERR_ASCMH_INDEX_LOCKED).toBe(503);
    expect(toProblem(new AscmhError('ERR_ASCMH_TOO_LARGE', 'big')).problem).toMatchObject({ status: 413, code: 'ERR_ASCMH_TOO_LARGE', detail: 'big' });
    expect(toProblem(new AscmhError('ERR_ASCMH_SOMETHING_NEW', 'x')).problem.status).toBe(400);
    const internal = toProblem(new Error('secret detail'));
    expect(internal.problem).toMatchObject({ status: 500, code: 'ERR_SERVER_INTERNAL', detail: 'internal error' });
    expect(internal.internal).toBe(true);
  });

  it('a request the memory budget refuses is a 413 (ERR_ASCMH_TOO_LARGE)', async () => {
    const { setMemoryLimit } = await import('../../src/index.js');
    setMemoryLimit(64 * 1024);
    try {
      const res = await server.app.inject(post('/v1/search', { codes: base64Of(randomCodes(100, 2)), k: 100 }));
      expect(res.statusCode).toBe(413);
      expect(res.json().code).toBe('ERR_ASCMH_TOO_LARGE');
    } finally {
      setMemoryLimit(0);
    }
  });
});
