// The standalone service: a fastify app with the model, a durable index in a directory, the
// ascmh routes, the OpenAPI document (@fastify/swagger), load shedding (@fastify/under-pressure)
// and metrics. `ascmh serve` is this plus signal handling.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import swagger from '@fastify/swagger';
import underPressure from '@fastify/under-pressure';
import { AscmhError } from '../core/errors.js';
import { packageRoot } from '../core/native.js';
import { type Durability, DurableHammingIndex } from '../search/durable-index.js';
import { ASCMH } from '../train/ascmh.js';
import { HttpProblem, problemErrorHandler, problemNotFoundHandler } from './errors.js';
import { ascmhRoutes, authorize } from './plugin.js';
import { AscmhService, type ServiceOptions, type ServingIndex, type ServingModel } from './service.js';

/** When the server sheds load (@fastify/under-pressure). */
export interface PressureOptions {
  /** Answer 503 (Retry-After) while the event loop's mean delay exceeds this, in ms (default 1000; 0: never). */
  maxEventLoopDelay?: number;
  /** Retry-After in seconds (default 5). */
  retryAfter?: number;
  /** How often the delay is sampled, in ms (default 1000). */
  sampleInterval?: number;
}

/** Options of buildServer: the model, the index and the service options. */
export interface ServerOptions extends ServiceOptions {
  /** A model file, or a model already loaded. */
  model: string | ServingModel;
  /** The durable index's directory (created with the model's code length when absent or empty). */
  index: string;
  durability?: Durability;
  /** How long to keep retrying while another process holds the index's lock, in ms (default 10,000). */
  lockWaitMs?: number;
  pressure?: PressureOptions;
  /** Write a snapshot of the index when the server closes (default true). */
  checkpointOnClose?: boolean;
  /** How long readiness is false before the server stops taking requests, on close (default 0). */
  drainDelayMs?: number;
  /** Passed to Fastify() (logger, ...). */
  fastify?: FastifyServerOptions;
}

/** A built server: the fastify app, its service, and close(). */
export interface AscmhServer {
  app: FastifyInstance;
  service: AscmhService;
  /** Loads the model (when given a path) and opens the index, then marks the service ready. */
  open(): Promise<void>;
  /**
   * Shuts down: readiness goes false, new requests get 503 after `drainDelayMs`, requests in
   * flight finish, then the index is checkpointed and closed.
   */
  close(): Promise<void>;
}

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

/** Builds the app (not listening, index not open: call `open()`, before or after `app.listen`). */
export async function buildServer(options: ServerOptions): Promise<AscmhServer> {
  const service = new AscmhService(options);
  const app = Fastify({
    logController: new LogController({ disableRequestLogging: true }), // a line per request is too many at 10k/s
    return503OnClosing: false, // the plugin answers with a problem document instead
    forceCloseConnections: 'idle',
    ...options.fastify,
  });
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler(problemNotFoundHandler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ascmh search service',
        description: 'Exact Hamming search over cross-modal hash codes (ASCMH). Errors are application/problem+json documents with a stable `code`.',
        version: pkg.version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: ['search', 'encode', 'items', 'stats', 'health'].map((name) => ({ name })),
    },
  });
  const pressure = options.pressure ?? {};
  if ((pressure.maxEventLoopDelay ?? 1000) > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: pressure.maxEventLoopDelay ?? 1000,
      retryAfter: pressure.retryAfter ?? 5,
      sampleInterval: pressure.sampleInterval ?? 1000,
    });
  }
  await app.register(ascmhRoutes, { service });
  app.get('/openapi.json', { schema: { hide: true } as object }, async (request, reply) => {
    if (!authorize(service, request, reply, false)) return reply;
    return app.swagger();
  });

  let index: DurableHammingIndex | undefined;
  let opening: Promise<void> | undefined;
  const open = async () => {
    const model = typeof options.model === 'string' ? await ASCMH.load(options.model) : options.model;
    const deadline = Date.now() + (options.lockWaitMs ?? 10_000);
    for (;;) {
      if (service.state === 'closing') throw new HttpProblem('ERR_SERVER_SHUTTING_DOWN', 'the server closed before the index opened', { 'retry-after': '1' });
      try {
        index = await DurableHammingIndex.open(options.index, { bits: model.bits, durability: options.durability ?? 'fsync' });
        break;
      } catch (err) {
        if ((err as AscmhError).code !== 'ERR_ASCMH_INDEX_LOCKED' || Date.now() >= deadline) {
          service.state = 'failed';
          service.startupProblem = { code: (err as AscmhError).code ?? 'ERR_SERVER_NOT_READY', detail: (err as Error).message };
          throw err;
        }
        // Another process holds the lock (e.g. the previous server still shutting down): not ready yet.
        service.startupProblem = { code: 'ERR_ASCMH_INDEX_LOCKED', detail: (err as Error).message };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    try {
      service.attach(model, index);
    } catch (err) {
      await index.close();
      index = undefined;
      service.state = 'failed';
      throw err;
    }
  };

  app.addHook('onClose', async () => {
    await opening?.catch(() => undefined);
    if (!index) return;
    const closing = index;
    index = undefined;
    if (options.checkpointOnClose ?? true) await closing.checkpoint();
    await closing.close();
  });

  let closed: Promise<void> | undefined;
  return {
    app,
    service,
    open: () => (opening ??= open()),
    close: () =>
      (closed ??= (async () => {
        service.drain();
        if (options.drainDelayMs) await new Promise((resolve) => setTimeout(resolve, options.drainDelayMs));
        await app.close();
      })()),
  };
}

export type { ServingIndex, ServingModel };
