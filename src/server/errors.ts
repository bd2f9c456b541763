// Problem documents (RFC 9457, application/problem+json) and the one table that maps the
// library's error codes, and the server's own conditions, to HTTP statuses.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AscmhError } from '../core/errors.js';

export const PROBLEM_TYPE = 'application/problem+json';

/** A problem's `type` is this URN plus its code (the codes are listed in docs/serving.md). */
export const PROBLEM_BASE = 'urn:ascmh:problem:';

/**
 * HTTP status of each error code. Bad input is 4xx; 5xx is reserved for the server's own state
 * (not ready, shutting down, overloaded, a failed index) and for internal errors.
 */
export const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  // Input the library refused.
  ERR_ASCMH_SHAPE: 400,
  ERR_ASCMH_NON_FINITE: 400,
  ERR_ASCMH_NOT_MATRIX: 400,
  ERR_ASCMH_DTYPE: 400,
  ERR_ASCMH_EMPTY: 400,
  ERR_ASCMH_BITS: 400,
  ERR_ASCMH_BITS_MISMATCH: 400,
  ERR_ASCMH_CODES: 400,
  ERR_ASCMH_CODES_LENGTH: 400,
  ERR_ASCMH_MODALITY: 400,
  ERR_ASCMH_K: 400,
  ERR_ASCMH_RADIUS: 400,
  ERR_ASCMH_LIMIT: 400,
  ERR_ASCMH_IDS_LENGTH: 400,
  ERR_ASCMH_IDS_TYPE: 400,
  ERR_ASCMH_ID_RANGE: 400,
  ERR_ASCMH_OPTION: 400,
  ERR_ASCMH_INPUT_CHANGED: 400,
  // Input that conflicts with the index's state.
  ERR_ASCMH_DUPLICATE_ID: 409,
  ERR_ASCMH_READONLY: 409,
  // Requests whose answer would not fit the memory budget.
  ERR_ASCMH_TOO_LARGE: 413,
  // The server's state.
  ERR_ASCMH_INDEX_LOCKED: 503,
  ERR_ASCMH_INDEX_CLOSED: 503,
  ERR_ASCMH_INDEX_FAILED: 503,
  ERR_ASCMH_OUT_OF_MEMORY: 503,
  ERR_ASCMH_CANCELLED: 503,
  ERR_ASCMH_INTERNAL: 500,
  // The server's own codes.
  ERR_SERVER_VALIDATION: 400,
  ERR_SERVER_BAD_JSON: 400,
  ERR_SERVER_EMPTY_BODY: 400,
  ERR_SERVER_BAD_BASE64: 400,
  ERR_SERVER_TOO_MANY_RESULTS: 413,
  ERR_SERVER_BODY_TOO_LARGE: 413,
  ERR_SERVER_MEDIA_TYPE: 415,
  ERR_SERVER_NOT_ACCEPTABLE: 406,
  ERR_SERVER_UNAUTHORIZED: 401,
  ERR_SERVER_NOT_FOUND: 404,
  ERR_SERVER_METHOD: 405,
  ERR_SERVER_NOT_READY: 503,
  ERR_SERVER_SHUTTING_DOWN: 503,
  ERR_SERVER_OVERLOADED: 503,
  ERR_SERVER_INTERNAL: 500,
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** fastify's own error codes, as the server's codes. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_SERVER_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_SERVER_EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_SERVER_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_SERVER_VALIDATION',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_SERVER_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'ERR_SERVER_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_TYPE: 'ERR_SERVER_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'ERR_SERVER_VALIDATION',
  FST_UNDER_PRESSURE: 'ERR_SERVER_OVERLOADED',
  FST_ERR_NOT_FOUND: 'ERR_SERVER_NOT_FOUND',
};

/**
 * A validation failure on one of these fields carries the library's code for that field, so a
 * client sees the same code for `k: 0` over HTTP as from `index.search(q, { k: 0 })`.
 */
const FIELD_CODES: Readonly<Record<string, string>> = {
  k: 'ERR_ASCMH_K',
  radius: 'ERR_ASCMH_RADIUS',
  limit: 'ERR_ASCMH_LIMIT',
  modality: 'ERR_ASCMH_MODALITY',
};

/** An RFC 9457 problem document, with the library's error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** Validation failures: where in the request. */
  instance?: string;
}

/** An error the server raises on purpose; becomes a problem document with this code. */
export class HttpProblem extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: string, detail: string, headers: Record<string, string> = {}, status = STATUS_OF_CODE[code] ?? 500) {
    super(detail);
    this.name = 'HttpProblem';
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

export function statusOf(code: string): number {
  return STATUS_OF_CODE[code] ?? (code.startsWith('ERR_ASCMH_') ? 400 : 500);
}

export function problemOf(code: string, detail: string, status = statusOf(code)): Problem {
  return { type: PROBLEM_BASE + code, title: TITLES[status] ?? 'Error', status, detail, code };
}

/** The code of a validation failure: the library's code for a known field, else ERR_SERVER_VALIDATION. */
function validationCode(err: FastifyError): string {
  for (const v of err.validation ?? []) {
    const own = (v as { params?: { code?: unknown } }).params?.code;
    if (typeof own === 'string') return own;
  }
  for (const v of err.validation ?? []) {
    const path = (v as { instancePath?: string }).instancePath ?? '';
    const field = path.split('/').filter(Boolean)[0];
    if (field && FIELD_CODES[field] && path.split('/').filter(Boolean).length === 1) return FIELD_CODES[field];
  }
  return 'ERR_SERVER_VALIDATION';
}

/** Turns any error into [problem, extra headers]. Unknown errors become a 500 without details. */
export function toProblem(err: unknown): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  if (err instanceof HttpProblem) return { problem: problemOf(err.code, err.message, err.status), headers: err.headers, internal: err.status >= 500 && err.code === 'ERR_SERVER_INTERNAL' };
  if (err instanceof AscmhError) {
    const status = statusOf(err.code);
    const headers: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
    return { problem: problemOf(err.code, err.message, status), headers, internal: status === 500 };
  }
  const e = err as FastifyError;
  if (e && typeof e === 'object' && Array.isArray(e.validation)) {
    const code = validationCode(e);
    return { problem: { ...problemOf(code, e.message, 400), instance: e.validationContext }, headers: {}, internal: false };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // A client error fastify found (bad JSON, too large, wrong media type, ...).
    const code = FASTIFY_CODES[e.code] ?? (e instanceof SyntaxError ? 'ERR_SERVER_BAD_JSON' : status === 413 ? 'ERR_SERVER_BODY_TOO_LARGE' : status === 415 ? 'ERR_SERVER_MEDIA_TYPE' : 'ERR_SERVER_VALIDATION');
    return { problem: problemOf(code, e.message, status), headers: {}, internal: false };
  }
  if (status === 503 && e?.code === 'FST_UNDER_PRESSURE') {
    return { problem: problemOf('ERR_SERVER_OVERLOADED', 'the server is overloaded (event loop delay past its limit); retry later', 503), headers: {}, internal: false };
  }
  return { problem: problemOf('ERR_SERVER_INTERNAL', 'internal error', 500), headers: {}, internal: true };
}

export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(problem.status).type(PROBLEM_TYPE).send(JSON.stringify(problem));
}

/** fastify error handler: every error becomes a problem document; internal ones are logged. */
export function problemErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers, internal } = toProblem(err);
  if (internal) request.log.error({ err }, 'internal error');
  else if (problem.status >= 500) request.log.warn({ code: problem.code }, problem.detail);
  sendProblem(reply, problem, headers);
}

/** fastify not-found handler. */
export function problemNotFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  sendProblem(reply, problemOf('ERR_SERVER_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}
