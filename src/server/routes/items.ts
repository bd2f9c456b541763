// POST /v1/items (add), DELETE /v1/items (remove), GET /v1/items/:id (one item's code).
// A 2xx for an add or a delete means the change is in the index's log under its durability.
import { HttpProblem } from '../errors.js';
import { type AddBody, BINARY, JSON_TYPE, WRITE_SECURITY, jsonOrBinary, problems } from '../schemas.js';
import { codesFromRows, codesToBase64, idJson, idValue, parseIds } from '../wire.js';
import type { RouteContext } from './context.js';

export function itemRoutes({ app, service, schemas }: RouteContext): void {
  app.post('/v1/items', {
    bodyLimit: service.bodyLimit,
    config: { write: true, accepts: [JSON_TYPE, BINARY] },
    schema: {
      summary: 'Add items: feature rows of a modality (encoded) or codes, with optional ids',
      description:
        'JSON: `{ modality, features }` or `{ codes }`, optional `ids` (one per item; numbers, or decimal strings beyond 2^53). ' +
        'Binary (`application/octet-stream`): raw packed codes, automatic ids. The answer lists the ids the items got; ' +
        'it comes once the add is in the log under the configured durability.',
      tags: ['items'],
      security: WRITE_SECURITY,
      body: jsonOrBinary(schemas.AddBody, 'raw packed codes: ceil(bits/8) bytes per code (automatic ids)'),
      response: { 200: schemas.AddResult, ...problems(400, 401, 409, 413, 415, 503) },
    },
  }, async (request, reply) => {
    const body = request.body as AddBody | Buffer;
    let ids: BigInt64Array | undefined;
    let codes;
    if (Buffer.isBuffer(body)) {
      codes = codesFromRows(body, service.require().index.bits, 'the body');
      if (codes.count > service.limits.maxQueries * 100) throw new HttpProblem('ERR_SERVER_VALIDATION', `${codes.count} codes; at most ${service.limits.maxQueries * 100} per binary request`);
    } else {
      codes = await service.codesOf(body, 'the items');
      if (body.ids !== undefined) ids = parseIds(body.ids);
    }
    const added = await service.add(codes, ids);
    let out = `{"count":${added.length},"ids":[`;
    for (let i = 0; i < added.length; i++) out += (i ? ',' : '') + idJson(added[i]);
    return reply.type(JSON_TYPE).send((out + ']}') as never); // serialized here: exact ids, fast
  });

  app.delete('/v1/items', {
    bodyLimit: service.bodyLimit,
    config: { write: true },
    schema: {
      summary: 'Remove items by id',
      tags: ['items'],
      security: WRITE_SECURITY,
      body: schemas.DeleteBody,
      response: { 200: schemas.DeleteResult, ...problems(400, 401, 413, 415, 503) },
    },
  }, async (request) => ({ removed: await service.remove(parseIds(request.body.ids)) }));

  app.get('/v1/items/:id', {
    schema: {
      summary: "One item's code",
      tags: ['items'],
      params: schemas.ItemParams,
      response: { 200: schemas.Item, ...problems(400, 401, 404, 503) },
    },
  }, async (request) => {
    const { index } = service.require();
    const [id] = parseIds([request.params.id], 'id');
    const code = index.get(id);
    if (!code) throw new HttpProblem('ERR_SERVER_NOT_FOUND', `no item with id ${id}`);
    return { id: idValue(id), code: codesToBase64({ count: 1, bits: index.bits, data: code }) };
  });
}
