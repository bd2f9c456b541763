// GET /healthz (liveness: the process answers) and GET /readyz (readiness: the index is open and
// its log replayed, and the server is not shutting down).
import { HttpProblem } from '../errors.js';
import { problems } from '../schemas.js';
import type { RouteContext } from './context.js';

export function healthRoutes({ app, service, schemas }: RouteContext): void {
  // Probes are exempt from @fastify/under-pressure (a slow loop must not look like a dead one).
  const config = { probe: true, pressureHandler: () => undefined };
  app.get('/healthz', {
    config,
    schema: { summary: 'Liveness', tags: ['health'], response: { 200: schemas.Status } },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    config,
    schema: { summary: 'Readiness: the index is open and its log replayed, and the server is not shutting down', tags: ['health'], response: { 200: schemas.Status, ...problems(503) } },
  }, async () => {
    if (service.state === 'draining' || service.state === 'closing') throw new HttpProblem('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down', { 'retry-after': '1' });
    service.require();
    return { status: 'ready' };
  });
}
