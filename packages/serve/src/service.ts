import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import { type Classifier, ParameterError, type Randomizer, type Squeezer } from '@mixnsqueeze/core';
import { defend } from '@mixnsqueeze/squeezers';
import { toHttpError } from './http-error.ts';
import { type ServiceLimits, resolveLimits } from './limits.ts';
import { ServiceMetrics } from './metrics.ts';
import { SpendBatcher } from './spend-batcher.ts';
import { classifyRoutes } from './routes/classify.ts';
import { opsRoutes } from './routes/ops.ts';
import type { TokenStore } from './token-store.ts';
import { WorkQueue } from './work-queue.ts';

/** The transforms in front of the model; the keys are never an option: every request draws fresh OS keys. */
export interface ServiceDefense {
  /** Randomizer applied first (Mix'n'Squeeze: `uniform:0.5`). */
  readonly randomize?: Randomizer;
  /** Squeezers applied in order after it (`median:2x2`). */
  readonly squeeze?: readonly Squeezer[];
}

/** Where the service logs (Fastify's pino logger; request lines carry no payload and no token). */
export interface ServiceLogOptions {
  /** Where the JSON lines go (default: standard output); any object with `write(line)`. */
  readonly stream?: { write(line: string): unknown };
  /** pino level (default `info`). */
  readonly level?: string;
}

/** Options of {@link createDefendedService}. */
export interface DefendedServiceOptions {
  /** The undefended classifier (any backend); the service defends it. */
  readonly model: Classifier;
  /** The defense in front of it; none serves the bare model. */
  readonly defense?: ServiceDefense;
  /** Clients and budgets. The caller owns it (and closes it after the service). */
  readonly store: TokenStore;
  /** What a client learns: the label per sample (the paper's oracle, default), or the probabilities too. */
  readonly reveal?: 'label' | 'probabilities';
  /** Body, batch, time and queue limits (see {@link ServiceLimits}). */
  readonly limits?: Partial<ServiceLimits>;
  /** Request logging: false (default) for none, true for standard output, or where and how much. */
  readonly log?: boolean | ServiceLogOptions;
  /** The clock budgets are counted with, ms since the epoch (default Date.now; tests move it). */
  readonly now?: () => number;
}

/** A defended classifier behind HTTP, as {@link createDefendedService} builds it. */
export interface DefendedService {
  /** The Fastify instance (routes registered, ready). */
  readonly app: FastifyInstance;
  /** The limits in force, defaults filled in. */
  readonly limits: ServiceLimits;
  /** Specs of the defense, in order (e.g. `['uniform:0.5', 'median:2x2']`). */
  readonly defense: readonly string[];
  /**
   * Starts listening and resolves with the base URL, e.g. `http://127.0.0.1:8080`. Port 0 picks a
   * free port.
   */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /**
   * Drains and stops: `/readyz` turns 503, new connections are refused, requests in flight are
   * answered, then the server closes. The model and the store stay open (the caller owns them).
   */
  close(): Promise<void>;
}

function loggerOption(log: DefendedServiceOptions['log']): FastifyServerOptions['logger'] {
  if (!log) return false;
  const o = log === true ? {} : log;
  return {
    level: o.level ?? 'info',
    // Fastify's request serializer logs no headers; this keeps it so if one is ever added.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    ...(o.stream ? { stream: o.stream } : {}),
  } as FastifyServerOptions['logger'];
}

/**
 * Builds the service: `POST /v1/classify` (JSON or `.npy` batches; labels, or probabilities when
 * revealed), `GET /v1/budget`, `GET /v1/model`, `/healthz`, `/readyz`, `/metrics` (Prometheus),
 * `/openapi.json` and a drawing page at `/`. Every request is checked against a JSON schema and
 * the limits; every sample spends one attempt of the client's budget, committed to the store
 * before the model runs. The defense draws fresh OS keys for every request (`defend` without
 * `keys`); a `keys` option is refused.
 *
 * ```ts
 * const store = new TokenStore('tokens.db');
 * const service = await createDefendedService({ model, defense: { randomize: new UniformNoise(0.5), squeeze: [new Median(2)] }, store });
 * console.log(await service.listen({ port: 8080 }));
 * ```
 */
export async function createDefendedService(options: DefendedServiceOptions): Promise<DefendedService> {
  const limits = resolveLimits(options.limits);
  const defense = options.defense ?? {};
  if ('keys' in defense) {
    throw new ParameterError('createDefendedService: the service draws fresh OS keys for every request; remove `keys` from the defense (seeded keys are for experiments only).');
  }
  const reveal = options.reveal ?? 'label';
  if (reveal !== 'label' && reveal !== 'probabilities') throw new ParameterError(`reveal '${String(reveal)}': expected 'label' or 'probabilities'.`);
  const defended = defense.randomize || defense.squeeze?.length ? defend(options.model, { ...(defense.randomize ? { randomize: defense.randomize } : {}), squeeze: defense.squeeze ?? [] }) : options.model;
  const specs = [...(defense.randomize ? [defense.randomize.spec] : []), ...(defense.squeeze ?? []).map((s) => s.spec)];
  const queue = new WorkQueue(limits.concurrency, limits.maxQueued);
  const metrics = new ServiceMetrics(() => queue.depth, () => queue.running);
  const now = options.now ?? Date.now;
  let draining = false;

  const app = Fastify({
    logger: loggerOption(options.log),
    bodyLimit: limits.bodyLimit,
    // A client that trickles its request (slowloris) is cut off after 30 s (Node answers 408).
    requestTimeout: 30_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'mixnsqueeze defended classifier', version: '0.1.0', description: `A classifier behind ${specs.join(' + ') || 'no defense'}, fresh OS keys per request, attempt budgets per bearer token.` },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  // JSON bodies: the text is kept for the library's batch reader; the parsed object is what the
  // schema validates. `.npy` bodies arrive as bytes. No other type (text/plain included) is read.
  const rawJson = new WeakMap<object, string>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    rawJson.set(req.raw, body as string);
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(Object.assign(new Error(`request body is not valid JSON (${(e as Error).message}); send {"shape": [...], "data": [...]}.`), { statusCode: 400 }), undefined);
    }
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((e, req, reply) => {
    const h = toHttpError(e, limits.bodyLimit);
    if (h.internal) req.log.error({ err: e }, 'internal error');
    void reply.code(h.status).headers(h.headers).send({ error: h.message, ...h.extra });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 100)}; see /openapi.json.` });
  });
  // While draining, each answer closes its connection: a kept-alive client socket would otherwise
  // hold close() open until its keep-alive timeout.
  app.addHook('onSend', async (_req, reply) => {
    if (draining) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  classifyRoutes(app, { defended, store: options.store, spends: new SpendBatcher(options.store), queue, metrics, limits, reveal, now, rawJson });
  opsRoutes(app, { defended, defense: specs, reveal, maxBatch: limits.maxBatch, metrics, ready: () => !draining });
  await app.ready();

  let closing: Promise<void> | undefined;
  return {
    app,
    limits,
    defense: specs,
    async listen({ port = 8080, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const address = app.server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    },
    close() {
      draining = true;
      closing ??= app.close().then(() => queue.idle());
      return closing;
    },
  };
}
