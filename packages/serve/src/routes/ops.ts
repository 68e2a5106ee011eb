import type { FastifyInstance } from 'fastify';
import type { Classifier } from '@mixnsqueeze/core';
import type { ServiceMetrics } from '../metrics.ts';
import { PAGE_HTML } from '../page.ts';

/** What the operational routes read. */
export interface OpsContext {
  readonly defended: Classifier;
  readonly defense: readonly string[];
  readonly reveal: 'label' | 'probabilities';
  readonly maxBatch: number;
  readonly metrics: ServiceMetrics;
  /** False once the service drains (SIGTERM, close): /readyz answers 503. */
  readonly ready: () => boolean;
}

/** `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/v1/model` and the page at `/`. */
export function opsRoutes(app: FastifyInstance, c: OpsContext): void {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: 503 while the service drains', response: { '2xx': { type: 'object', properties: { status: { type: 'string' } } } } } },
    async (_req, reply) => {
      if (c.ready()) return { status: 'ready' };
      return reply.code(503).send({ error: 'draining: the service is shutting down.' });
    },
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_req, reply) => {
    reply.header('Content-Type', c.metrics.registry.contentType);
    return c.metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/v1/model',
    {
      schema: {
        summary: "The model's input space, classes and the defense in front of it (public: the defense is no secret, its keys are)",
        response: {
          200: {
            type: 'object',
            properties: {
              inputShape: { type: 'array', items: { type: 'integer' } },
              bounds: { type: 'array', items: { type: 'number' } },
              layout: { type: 'string' },
              classes: { type: 'integer' },
              classNames: { type: 'array', items: { type: 'string' } },
              defense: { type: 'array', items: { type: 'string' } },
              reveal: { type: 'string' },
              maxBatch: { type: 'integer' },
            },
          },
        },
      },
    },
    async () => ({
      inputShape: c.defended.space.shape,
      bounds: c.defended.space.bounds,
      ...(c.defended.space.layout ? { layout: c.defended.space.layout } : {}),
      classes: c.defended.classes,
      ...(c.defended.classNames ? { classNames: c.defended.classNames } : {}),
      defense: c.defense,
      reveal: c.reveal,
      maxBatch: c.maxBatch,
    }),
  );
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE_HTML));
}
