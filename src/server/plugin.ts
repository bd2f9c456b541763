// The routes as a fastify plugin: `app.register(ascmhRoutes, { model, index })`.
//
// The plugin is wrapped by fastify-plugin (name 'ascmh') so that `app.ascmh` (the service) is
// visible to the host app; the routes themselves live in an encapsulated child context, so their
// validator (TypeBox, no body coercion), error handler (problem documents), body parser for
// application/octet-stream and hooks (auth, readiness, metrics) do not leak into the host app.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { HttpProblem, problemErrorHandler, problemOf, sendProblem } from './errors.js';
import { BINARY, JSON_TYPE, schemas, validatorCompiler } from './schemas.js';
import { AscmhService, type ServiceOptions, type ServingIndex, type ServingModel } from './service.js';
import { encodeRoutes } from './routes/encode.js';
import { healthRoutes } from './routes/health.js';
import { itemRoutes } from './routes/items.js';
import { metricsRoutes } from './routes/metrics.js';
import { searchRoutes } from './routes/search.js';
import { statsRoutes } from './routes/stats.js';
import type { TypedApp } from './routes/context.js';

/** Options of the ascmhRoutes fastify plugin. */
export interface AscmhRoutesOptions extends ServiceOptions {
  /** The model (an ASCMH), or a Promise of it: routes answer 503 until it is there. */
  model?: ServingModel | Promise<ServingModel>;
  /** The index (a DurableHammingIndex), or a Promise of it. */
  index?: ServingIndex | Promise<ServingIndex>;
  /** Prefix of every route (default none: /v1/..., /healthz, /readyz, /metrics). */
  prefix?: string;
  /** Serve GET /metrics (default true). */
  metricsRoute?: boolean;
  /** A service built beforehand (buildServer uses this); the other options then do not apply. */
  service?: AscmhService;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The ascmh service: model, index, readiness, batcher, metrics. */
    ascmh: AscmhService;
  }
}

/** Authorization for a request, as the plugin's routes check it (also used by buildServer for /openapi.json). */
export function authorize(service: AscmhService, request: FastifyRequest, reply: FastifyReply, write: boolean, probe = false): boolean {
  if (!service.checkToken || probe) return true;
  if (!write && service.authScope !== 'all') return true;
  const verdict = service.checkToken(request.headers.authorization);
  if (verdict === 'ok') return true;
  const detail = verdict === 'missing' ? 'this route needs an Authorization: Bearer <token> header' : 'the bearer token is not the right one';
  sendProblem(reply, problemOf('ERR_SERVER_UNAUTHORIZED', detail), { 'www-authenticate': 'Bearer realm="ascmh"' });
  return false;
}

const routes: FastifyPluginAsync<{ service: AscmhService; metricsRoute: boolean }> = async (instance, { service, metricsRoute }) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>() as unknown as TypedApp;
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(problemErrorHandler);
  app.addContentTypeParser(BINARY, { parseAs: 'buffer', bodyLimit: service.bodyLimit }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (!authorize(service, request, reply, Boolean(config.write), Boolean(config.probe))) return reply;
    // Only the media types a route documents (before the body is read).
    const type = request.headers['content-type'];
    if (type !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
      const media = type.split(';')[0].trim().toLowerCase();
      const accepts = config.accepts ?? [JSON_TYPE];
      if (!accepts.includes(media)) return sendProblem(reply, problemOf('ERR_SERVER_MEDIA_TYPE', `this route takes ${accepts.join(' or ')}, not ${media}`));
    }
    if (service.state === 'closing' && !config.probe) {
      const p = new HttpProblem('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down', { 'retry-after': '1', connection: 'close' });
      return sendProblem(reply, problemOf(p.code, p.message), p.headers);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    service.metrics.requestSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const context = { app, service, schemas: schemas(service.limits) };
  searchRoutes(context);
  encodeRoutes(context);
  itemRoutes(context);
  statsRoutes(context);
  healthRoutes(context);
  if (metricsRoute) metricsRoutes(context);
};

async function plugin(fastify: FastifyInstance, options: AscmhRoutesOptions): Promise<void> {
  const service = options.service ?? new AscmhService(options);
  fastify.decorate('ascmh', service);
  fastify.addHook('preClose', async () => service.close());
  await fastify.register(routes, { prefix: options.prefix ?? '', service, metricsRoute: options.metricsRoute ?? true });
  if (!options.service && options.model !== undefined && options.index !== undefined) {
    const both = Promise.all([options.model, options.index]);
    if (options.model instanceof Promise || options.index instanceof Promise) {
      both.then(([model, index]) => service.attach(model, index)).catch((err: Error) => {
        service.state = 'failed';
        service.startupProblem = { code: (err as { code?: string }).code ?? 'ERR_SERVER_NOT_READY', detail: err.message };
        fastify.log.error({ err }, 'ascmh: the model or the index failed to load');
      });
    } else {
      service.attach(options.model as ServingModel, options.index as ServingIndex);
    }
  }
}

/**
 * The ascmh routes for an existing fastify 5 app:
 *
 * ```ts
 * import Fastify from 'fastify';
 * import { ASCMH, DurableHammingIndex } from 'ascmh';
 * import { ascmhRoutes } from 'ascmh/server';
 * const model = await ASCMH.load('m.ascmh');
 * const index = await DurableHammingIndex.open('idx', { bits: model.bits });
 * const app = Fastify();
 * await app.register(ascmhRoutes, { model, index, auth: { token: process.env.ASCMH_TOKEN } });
 * ```
 *
 * The app keeps ownership of the index: close it (checkpoint first if you like) in its onClose.
 */
export const ascmhRoutes = fp(plugin, { name: 'ascmh', fastify: '5.x' });
