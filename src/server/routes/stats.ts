// GET /v1/stats: the model, the index (durable stats), micro-batching counters.
import { problems } from '../schemas.js';
import type { RouteContext } from './context.js';

export function statsRoutes({ app, service, schemas }: RouteContext): void {
  app.get('/v1/stats', {
    schema: { summary: 'Model, index and batching statistics', tags: ['stats'], response: { 200: schemas.Stats, ...problems(401, 503) } },
  }, async () => service.stats());
}
