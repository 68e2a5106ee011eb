import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, in a registry of its own (several services in one process,
 * as in tests, do not collide). Names start with `mixnsqueeze_`.
 */
export class ServiceMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Requests answered, by route, method and status code. */
  readonly requests: Counter<'route' | 'method' | 'status'>;
  /** Time from request to answer, by route. */
  readonly latency: Histogram<'route'>;
  /** Samples classified (attempts spent and answered). */
  readonly samples: Counter;
  /** Requests refused because the client's budget was spent. */
  readonly budgetRejections: Counter;
  /** Requests refused because the model queue was full. */
  readonly overloadRejections: Counter;

  /**
   * @param depth Reads the queue's waiting tasks when scraped.
   * @param running Reads the model calls in flight when scraped.
   */
  constructor(depth: () => number, running: () => number) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'mixnsqueeze_http_requests_total', help: 'HTTP requests answered', labelNames: ['route', 'method', 'status'], registers });
    this.latency = new Histogram({
      name: 'mixnsqueeze_http_request_duration_seconds',
      help: 'Time from request to answer',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.samples = new Counter({ name: 'mixnsqueeze_samples_classified_total', help: 'Samples classified (attempts spent and answered)', registers });
    this.budgetRejections = new Counter({ name: 'mixnsqueeze_budget_rejections_total', help: 'Requests refused with 429: budget spent for the window', registers });
    this.overloadRejections = new Counter({ name: 'mixnsqueeze_overload_rejections_total', help: 'Requests refused with 503: model queue full', registers });
    new Gauge({ name: 'mixnsqueeze_queue_depth', help: 'Model calls waiting for a slot', registers, collect() { this.set(depth()); } });
    new Gauge({ name: 'mixnsqueeze_model_calls_in_flight', help: 'Model calls running', registers, collect() { this.set(running()); } });
    collectDefaultMetrics({ register: this.registry, prefix: 'mixnsqueeze_' });
  }
}
