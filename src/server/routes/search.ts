// POST /v1/search: JSON queries (features of a modality, or base64 codes) or raw codes
// (application/octet-stream, parameters in the query string); JSON or binary results.
import type { Queries } from '../batcher.js';
import { HttpProblem } from '../errors.js';
import { BINARY, JSON_TYPE, jsonOrBinary, problems, type SearchBody } from '../schemas.js';
import { codesFromRows, resultBinary, resultJson } from '../wire.js';
import type { RouteContext } from './context.js';

/** Whether the client asked for the binary result layout. */
function wantsBinary(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.includes(BINARY) && !accept.includes(JSON_TYPE);
}

export function searchRoutes({ app, service, schemas }: RouteContext): void {
  app.post('/v1/search', {
    bodyLimit: service.bodyLimit,
    config: { write: false, accepts: [JSON_TYPE, BINARY] },
    schema: {
      summary: 'Nearest items of each query by Hamming distance (exact)',
      description:
        'JSON body: `{ modality, features }` or `{ codes }`, with `k` or `radius` (+ `limit`). ' +
        'Binary body (`Content-Type: application/octet-stream`): raw packed codes, ceil(bits/8) bytes per code, ' +
        'with `k` or `radius` (+ `limit`) in the query string. The answer is JSON, or the binary ASR1 layout ' +
        'with `Accept: application/octet-stream` (see docs/serving.md). Concurrent requests are coalesced into one native search.',
      tags: ['search'],
      body: jsonOrBinary(schemas.SearchBody, 'raw packed codes: ceil(bits/8) bytes per code'),
      querystring: schemas.SearchQuery,
      response: {
        200: {
          description: 'results per query',
          content: {
            [JSON_TYPE]: { schema: schemas.SearchResult },
            [BINARY]: { schema: { type: 'string', format: 'binary', description: 'the ASR1 result layout' } },
          },
        },
        ...problems(400, 401, 406, 413, 415, 503),
      },
    },
  }, async (request, reply) => {
    const body = request.body as SearchBody | Buffer;
    const query = request.query as { k?: number; radius?: number; limit?: number };
    let queries: Queries;
    let params: { k?: number; radius?: number; limit?: number };
    if (Buffer.isBuffer(body)) {
      const { index } = service.require();
      queries = { codes: codesFromRows(body, index.bits, 'the body') };
      params = query;
    } else {
      if (query.k !== undefined || query.radius !== undefined || query.limit !== undefined) {
        throw new HttpProblem('ERR_SERVER_VALIDATION', 'with a JSON body, give k, radius and limit in the body');
      }
      queries = service.queriesOf(body, 'the queries');
      params = body;
    }
    const { head, result } = await service.search(queries, params);
    if (wantsBinary(request.headers.accept)) return reply.type(BINARY).send(resultBinary(result) as never);
    return reply.type(JSON_TYPE).send(resultJson(head, result) as never); // serialized here: exact ids, fast
  });
}
