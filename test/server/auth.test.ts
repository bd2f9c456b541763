// Bearer tokens: writes (or, with scope 'all', every route but the probes) need the right token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerChecker } from '../../src/server/auth.js';
import type { AscmhServer } from '../../src/server/index.js';
import { base64Of, json, openServer, randomCodes, useServerFixture } from '../helpers/server.js';

const fixture = useServerFixture();
const TOKEN = 's3cret-token_value';
let writes: AscmhServer, all: AscmhServer;
beforeAll(async () => {
  writes = await openServer(fixture, { auth: { token: TOKEN } });
  all = await openServer(fixture, { auth: { token: TOKEN, scope: 'all' } });
});
afterAll(async () => {
  await writes?.close();
  await all?.close();
});

const search = () => ({ method: 'POST' as const, url: '/v1/search', ...json({ codes: base64Of(randomCodes(1, 1)), k: 1 }) });
const add = (seed: number) => ({ method: 'POST' as const, url: '/v1/items', ...json({ codes: base64Of(randomCodes(1, seed)) }) });
const del = () => ({ method: 'DELETE' as const, url: '/v1/items', ...json({ ids: [12345] }) });
const withAuth = <T extends { headers?: Record<string, string> }>(r: T, value: string) => ({ ...r, headers: { ...r.headers, authorization: value } });

async function expect401(server: AscmhServer, request: Parameters<AscmhServer['app']['inject']>[0], detail: RegExp) {
  const res = await server.app.inject(request);
  expect(res.statusCode).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toBe('Bearer realm="ascmh"');
  expect(res.json()).toMatchObject({ status: 401, code: 'ERR_SERVER_UNAUTHORIZED' });
  expect(res.json().detail).toMatch(detail);
}

describe('auth: token for writes', () => {
  it('adds and deletes: missing or wrong token -> 401, right token -> 200', async () => {
    for (const request of [add(1), del()]) {
      await expect401(writes, request, /needs an Authorization/);
      await expect401(writes, withAuth(request, `Bearer ${TOKEN}x`), /not the right one/);
      await expect401(writes, withAuth(request, 'Bearer short'), /not the right one/);
      await expect401(writes, withAuth(request, `Basic ${TOKEN}`), /needs an Authorization/);
      await expect401(writes, withAuth(request, TOKEN), /needs an Authorization/);
    }
    expect((await writes.app.inject(withAuth(add(2), `Bearer ${TOKEN}`))).statusCode).toBe(200);
    expect((await writes.app.inject(withAuth(add(3), `bearer  ${TOKEN}`))).statusCode).toBe(200);
    expect((await writes.app.inject(withAuth(del(), `Bearer ${TOKEN}`))).statusCode).toBe(200);
    expect(writes.service.index!.size).toBe(2);
  });

  it('a write refused for its token changes nothing, even with a bad body', async () => {
    await expect401(writes, { method: 'POST', url: '/v1/items', headers: { 'content-type': 'application/json' }, payload: '{bad' }, /needs an Authorization/);
  });

  it('reads need no token', async () => {
    expect((await writes.app.inject(search())).statusCode).toBe(200);
    expect((await writes.app.inject({ method: 'GET', url: '/v1/stats' })).statusCode).toBe(200);
    expect((await writes.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await writes.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });
});

describe('auth: token for every route', () => {
  it('every route but /healthz and /readyz needs it', async () => {
    for (const request of [search(), add(4), del(), { method: 'GET' as const, url: '/v1/stats' }, { method: 'GET' as const, url: '/metrics' }, { method: 'GET' as const, url: '/openapi.json' }, { method: 'GET' as const, url: '/v1/items/0' }, { method: 'POST' as const, url: '/v1/encode', ...json({ modality: 'text', features: [[1]] }) }]) {
      await expect401(all, request, /needs an Authorization/);
      await expect401(all, withAuth(request, 'Bearer wrong'), /not the right one/);
    }
    expect((await all.app.inject(withAuth(search(), `Bearer ${TOKEN}`))).statusCode).toBe(200);
    expect((await all.app.inject(withAuth({ method: 'GET', url: '/openapi.json' }, `Bearer ${TOKEN}`))).statusCode).toBe(200);
    expect((await all.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await all.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('bearerChecker', () => {
  it('compares hashes of equal length: any presented length works', () => {
    const check = bearerChecker('abc');
    expect(check('Bearer abc')).toBe('ok');
    expect(check('Bearer abd')).toBe('wrong');
    expect(check('Bearer ' + 'a'.repeat(10_000))).toBe('wrong');
    expect(check('Bearer')).toBe('missing');
    expect(check(undefined)).toBe('missing');
    expect(() => bearerChecker('')).toThrow();
  });
});
