// GET /metrics: Prometheus text (prom-client).
import type { RouteContext } from './context.js';

export function metricsRoutes({ app, service }: RouteContext): void {
  app.get('/metrics', {
    config: { probe: false },
    schema: {
      summary: 'Prometheus metrics: request latency per route, batch sizes, index size, event-loop delay',
      tags: ['health'],
      response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async (_request, reply) => {
    const text = await service.metrics.registry.metrics();
    return reply.type(service.metrics.registry.contentType).send(text);
  });
}
