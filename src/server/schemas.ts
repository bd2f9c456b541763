// JSON schemas (TypeBox) of every route: fastify validates requests with them, and
// @fastify/swagger turns them into the OpenAPI document.
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import { Ajv } from 'ajv';
import { type Static, type TSchema, Type } from 'typebox';

export const BINARY = 'application/octet-stream';
export const JSON_TYPE = 'application/json';
export const PROBLEM = 'application/problem+json';

/** Limits the schemas enforce (options of the plugin). */
export interface SchemaLimits {
  /** Largest k, and largest radius limit. */
  maxK: number;
  /** Most queries (rows or codes) in one JSON request, and most ids in one add or delete. */
  maxQueries: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'urn:ascmh:problem:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: "the library's error code (ERR_ASCMH_*) or the server's (ERR_SERVER_*)" }),
    instance: Type.Optional(Type.String({ description: 'validation failures: the part of the request (body, querystring, params)' })),
  },
  { title: 'Problem document (RFC 9457)' },
);

export const Modality = Type.Enum(['image', 'text'], { description: "the modality of the feature rows: 'image' or 'text'" });

const Id = Type.Union(
  [Type.Integer({ minimum: -MAX_SAFE, maximum: MAX_SAFE }), Type.String({ pattern: '^-?[0-9]{1,20}$', description: 'a decimal id beyond 2^53' })],
  { description: 'an item id (signed 64-bit): a JSON number when |id| < 2^53, else a decimal string' },
);

const base64 = (description: string) => Type.String({ minLength: 1, pattern: '^[A-Za-z0-9+/_-]*={0,2}$', description });

const CODES_DOC = 'base64 of packed codes in the code file layout: ceil(bits/8) bytes per code, bit j of a code in bit (j mod 8) of byte floor(j/8)';

const binaryBody = (description: string) => Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description });

export function schemas(limits: SchemaLimits) {
  const features = Type.Array(Type.Array(Type.Number(), { minItems: 1, maxItems: 1 << 16 }), {
    minItems: 1,
    maxItems: limits.maxQueries,
    description: "feature rows of the modality, each as wide as the model's hash function of that modality takes",
  });
  const k = Type.Integer({ minimum: 1, maximum: limits.maxK, description: 'results per query (capped at the index size)' });
  const radius = Type.Integer({ minimum: 0, maximum: 1024, description: 'every item within this Hamming distance (at most the code length)' });
  const limit = Type.Integer({ minimum: 1, maximum: limits.maxK, description: `with radius: at most this many results per query (default and most: ${limits.maxK})` });
  const ids = (description: string) => Type.Array(Id, { minItems: 1, maxItems: limits.maxQueries, description });
  const codes = base64(CODES_DOC);

  const SearchBody = Type.Object(
    {
      modality: Type.Optional(Modality),
      features: Type.Optional(features),
      codes: Type.Optional(codes),
      k: Type.Optional(k),
      radius: Type.Optional(radius),
      limit: Type.Optional(limit),
    },
    { additionalProperties: false, description: 'queries as `modality` + `features`, or as `codes`; then `k`, or `radius` (+ `limit`)' },
  );
  const SearchQuery = Type.Object(
    { k: Type.Optional(k), radius: Type.Optional(radius), limit: Type.Optional(limit) },
    { additionalProperties: false },
  );
  const SearchResult = Type.Object({
    bits: Type.Integer(),
    k: Type.Optional(Type.Integer({ description: 'the k asked for' })),
    radius: Type.Optional(Type.Integer()),
    limit: Type.Optional(Type.Integer()),
    results: Type.Array(
      Type.Object({ ids: Type.Array(Id), distances: Type.Array(Type.Integer({ minimum: 0 })) }),
      { description: 'one entry per query, in query order; ids by ascending distance, ties in insertion order' },
    ),
  });
  const EncodeBody = Type.Object({ modality: Modality, features }, { additionalProperties: false });
  const EncodeResult = Type.Object({ bits: Type.Integer(), count: Type.Integer(), codes: base64(CODES_DOC) });
  const AddBody = Type.Object(
    {
      modality: Type.Optional(Modality),
      features: Type.Optional(features),
      codes: Type.Optional(codes),
      ids: Type.Optional(ids('one id per code (default: automatic ids after the largest id seen)')),
    },
    { additionalProperties: false, description: 'items as `modality` + `features` (encoded with that hash function), or as `codes`; optional `ids`' },
  );
  const AddResult = Type.Object({ count: Type.Integer(), ids: Type.Array(Id, { description: 'the ids of the added items, in order' }) });
  const DeleteBody = Type.Object({ ids: ids('ids to remove (unknown ids are ignored)') }, { additionalProperties: false });
  const DeleteResult = Type.Object({ removed: Type.Integer({ description: 'how many of the ids were present' }) });
  const ItemParams = Type.Object({ id: Type.String({ pattern: '^-?[0-9]{1,20}$' }) });
  const Item = Type.Object({ id: Id, code: base64(CODES_DOC) });
  const Stats = Type.Object(
    {
      model: Type.Object({ method: Type.String(), bits: Type.Integer(), dimensions: Type.Object({ image: Type.Integer(), text: Type.Integer() }) }),
      index: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
      batching: Type.Object({
        enabled: Type.Boolean(),
        windowMs: Type.Number(),
        maxBatch: Type.Integer(),
        calls: Type.Integer(),
        requests: Type.Integer(),
        queries: Type.Integer(),
        retried: Type.Integer({ description: 'requests run again alone after their batch failed' }),
      }),
      uptimeSeconds: Type.Number(),
    },
  );
  const Status = Type.Object({ status: Type.String() });
  return { SearchBody, SearchQuery, SearchResult, EncodeBody, EncodeResult, AddBody, AddResult, DeleteBody, DeleteResult, ItemParams, Item, Stats, Status };
}

export type Schemas = ReturnType<typeof schemas>;
export type SearchBody = Static<Schemas['SearchBody']>;
export type AddBody = Static<Schemas['AddBody']>;

/** Writes need the bearer token when the server has one (and every route does with auth 'all'). */
export const WRITE_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, {}];

/** Error responses every route documents: 4xx and 5xx problem documents. */
export function problems(...statuses: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of statuses) out[String(s)] = { description: describeStatus(s), content: { [PROBLEM]: { schema: Problem } } };
  return out;
}

function describeStatus(status: number): string {
  return ({
    400: 'bad input (validation, shape, codes length, ...)',
    401: 'missing or wrong bearer token',
    404: 'not found',
    409: 'conflict (duplicate id)',
    413: 'body or answer too large',
    415: 'unsupported content type',
    503: 'not ready, shutting down or overloaded (Retry-After)',
  } as Record<number, string>)[status] ?? 'error';
}

/** Body schemas for both media types of a route that also takes raw codes. */
export function jsonOrBinary(json: TSchema, binaryDescription: string): Record<string, unknown> {
  return { content: { [JSON_TYPE]: { schema: json }, [BINARY]: { schema: binaryBody(binaryDescription) } } };
}

/** The value at a JSON pointer ('' is the whole value). */
function at(value: unknown, pointer: string): unknown {
  let v = value;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return v;
}

// Two validators: bodies are checked as they are (`"k": "10"` is a 400, not 10); query strings
// and path parameters are text, so they are converted. TypeBox schemas are plain JSON schemas, so
// ajv (which fastify uses anyway) compiles them; the TypeBox type provider gives the handlers
// their types.
const strictAjv = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, strict: false, addUsedSchema: false });
const coercingAjv = new Ajv({ coerceTypes: true, useDefaults: false, removeAdditional: false, allErrors: false, strict: false, addUsedSchema: false });

/**
 * The plugin's validator compiler: the two above, plus raw bodies for application/octet-stream.
 * A number that JSON parsed as Infinity (1e999) is reported with the library's code for it,
 * ERR_ASCMH_NON_FINITE.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  if ((route as { contentType?: string }).contentType === BINARY) {
    return (value: unknown) => (Buffer.isBuffer(value) ? { value } : { error: new Error('the body must be raw bytes') });
  }
  const validate = (route.httpPart === 'body' ? strictAjv : coercingAjv).compile(route.schema);
  return (value: unknown) => {
    if (validate(value)) return { value };
    const errors = (validate.errors ?? []) as FastifySchemaValidationError[];
    for (const e of errors) {
      const v = at(value, e.instancePath ?? '');
      if (typeof v === 'number' && !Number.isFinite(v)) {
        e.message = 'must be a finite number';
        e.params = { ...e.params, code: 'ERR_ASCMH_NON_FINITE' };
      }
    }
    return { error: errors };
  };
};
