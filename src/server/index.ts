/**
 * `ascmh/server`: the HTTP search service (`ascmh serve`) and the same routes as a fastify plugin.
 * Import it from there, not from 'ascmh': the main entry never loads fastify.
 * @module
 */
export { ascmhRoutes, authorize } from './plugin.js';
export type { AscmhRoutesOptions } from './plugin.js';
export { buildServer } from './app.js';
export type { AscmhServer, PressureOptions, ServerOptions } from './app.js';
export { AscmhService } from './service.js';
export type { ServiceOptions, ServiceState, ServiceStats, ServingIndex, ServingModel } from './service.js';
export type { SchemaLimits } from './schemas.js';
export type { MetricsOptions, ServerMetrics } from './metrics.js';
export type { BatchingOptions, BatchEvent, Queries, SearchBatcher } from './batcher.js';
export type { AuthOptions, AuthScope } from './auth.js';
export { STATUS_OF_CODE, PROBLEM_BASE, HttpProblem, toProblem } from './errors.js';
export type { Problem } from './errors.js';
export { BINARY_RESULT_MAGIC, parseResultBinary, idValue } from './wire.js';
export type { ResultSlice } from './wire.js';
