// Prometheus metrics (prom-client), in a registry of their own so several apps in one process
// (or a host app with its own metrics) do not collide.
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchEvent } from './batcher.js';

/** Where the Prometheus metrics go and how they are named. */
export interface MetricsOptions {
  /** Registry to put the metrics in (default: a new one). */
  registry?: Registry;
  /** Also collect prom-client's process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
  /** Metric name prefix (default 'ascmh_'). */
  prefix?: string;
}

/** The service's Prometheus metrics (prom-client). */
export class ServerMetrics {
  readonly registry: Registry;
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly batchQueries: Histogram<'kind'>;
  readonly batchRequests: Histogram<'kind'>;
  readonly searchSeconds: Histogram<'kind'>;
  readonly itemsAdded: Counter;
  readonly itemsRemoved: Counter;
  readonly #loopDelay: IntervalHistogram;

  constructor(options: MetricsOptions, indexSize: () => number | undefined) {
    const prefix = options.prefix ?? 'ascmh_';
    const registry = (this.registry = options.registry ?? new Registry());
    this.requestSeconds = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    });
    const sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];
    this.batchQueries = new Histogram({ name: `${prefix}search_batch_queries`, help: 'queries per native search call', labelNames: ['kind'], buckets: sizes, registers: [registry] });
    this.batchRequests = new Histogram({ name: `${prefix}search_batch_requests`, help: 'HTTP requests coalesced into one native search call', labelNames: ['kind'], buckets: sizes, registers: [registry] });
    this.searchSeconds = new Histogram({
      name: `${prefix}search_native_seconds`,
      help: 'time of one native search call',
      labelNames: ['kind'],
      buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [registry],
    });
    this.itemsAdded = new Counter({ name: `${prefix}items_added_total`, help: 'items added (acknowledged)', registers: [registry] });
    this.itemsRemoved = new Counter({ name: `${prefix}items_removed_total`, help: 'items removed (acknowledged)', registers: [registry] });
    new Gauge({
      name: `${prefix}index_size`,
      help: 'items in the index',
      registers: [registry],
      collect() {
        const size = indexSize();
        if (size !== undefined) this.set(size);
      },
    });
    // Event-loop delay since the previous scrape: mean, p50, p99, max.
    const loop = (this.#loopDelay = monitorEventLoopDelay({ resolution: 10 }));
    loop.enable();
    new Gauge({
      name: `${prefix}event_loop_delay_seconds`,
      help: 'event-loop delay since the previous scrape (10 ms resolution)',
      labelNames: ['stat'],
      registers: [registry],
      collect() {
        const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
        this.set({ stat: 'mean' }, s(loop.mean));
        this.set({ stat: 'p50' }, s(loop.percentile(50)));
        this.set({ stat: 'p99' }, s(loop.percentile(99)));
        this.set({ stat: 'max' }, s(loop.max));
        loop.reset();
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  }

  /** Records one native search call (the batcher's onBatch). */
  onBatch = (e: BatchEvent): void => {
    this.batchQueries.observe({ kind: e.kind }, e.queries);
    this.batchRequests.observe({ kind: e.kind }, e.requests);
    this.searchSeconds.observe({ kind: e.kind }, e.seconds);
  };

  /** Stops the event-loop delay sampling. */
  close(): void {
    this.#loopDelay.disable();
  }
}
