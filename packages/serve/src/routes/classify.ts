import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Batch, type Classifier, argmaxRows, softmaxRows } from '@mixnsqueeze/core';
import { requestBatch } from '../batch-body.ts';
import { HttpError } from '../http-error.ts';
import type { ServiceLimits } from '../limits.ts';
import type { ServiceMetrics } from '../metrics.ts';
import type { SpendBatcher } from '../spend-batcher.ts';
import type { TokenStore } from '../token-store.ts';
import { QueueAbortError, type WorkQueue } from '../work-queue.ts';
import { authenticate } from './auth.ts';

/** What the classify and budget routes need from the service. */
export interface ClassifyContext {
  readonly defended: Classifier;
  readonly store: TokenStore;
  /** Where spends are committed (grouped; see SpendBatcher). */
  readonly spends: SpendBatcher;
  readonly queue: WorkQueue;
  readonly metrics: ServiceMetrics;
  readonly limits: ServiceLimits;
  readonly reveal: 'label' | 'probabilities';
  readonly now: () => number;
  /** The JSON text of each request's body (the parser keeps it for the library's batch reader). */
  readonly rawJson: WeakMap<object, string>;
}

const batchJsonSchema = {
  type: 'object',
  required: ['shape', 'data'],
  properties: {
    shape: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 64, description: "[N, ...the model's input shape]" },
    data: { type: 'array', description: 'the values in C order, flat or nested to the shape, within the model input bounds' },
  },
} as const;

const errorSchema = { type: 'object', required: ['error'], properties: { error: { type: 'string' } }, additionalProperties: true } as const;

const tokens = new WeakMap<FastifyRequest, string>();

/** Probabilities per row, as plain arrays for JSON. */
function probabilityRows(logits: Batch): number[][] {
  const p = softmaxRows(logits);
  const k = p.shape[1]!;
  return Array.from({ length: p.shape[0]! }, (_, i) => Array.from(p.data.subarray(i * k, (i + 1) * k)));
}

/** Runs the model through the queue within the time limit; the caller has spent the budget already. */
async function classifyWithin(c: ClassifyContext, x: Batch): Promise<Batch> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new HttpError(504, `the request took longer than the limit of ${c.limits.timeoutMs} ms (the model is busy); retry later with fewer samples.`, { 'Retry-After': '1' }));
    }, c.limits.timeoutMs);
  });
  try {
    return await Promise.race([c.queue.run(() => c.defended.predict(x), abort.signal), late]);
  } catch (e) {
    if (e instanceof QueueAbortError) return late;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** `POST /v1/classify` and `GET /v1/budget`. */
export function classifyRoutes(app: FastifyInstance, c: ClassifyContext): void {
  const onRequest = async (req: FastifyRequest): Promise<void> => {
    tokens.set(req, authenticate(req, c.store, c.now()).token);
  };
  const security = [{ bearer: [] }];

  app.post(
    '/v1/classify',
    {
      onRequest,
      schema: {
        summary: 'Classify a batch with the defended model; each sample spends one attempt of the token budget',
        security,
        body: {
          content: {
            'application/json': { schema: batchJsonSchema },
            'application/octet-stream': { schema: { description: 'a .npy file (float32, float64 or uint8, C order) of shape [N, ...input shape]' } },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['labels', 'attemptsLeft', 'resetsAt'],
            properties: {
              labels: { type: 'array', items: { type: 'integer' }, description: 'the defended label of each sample' },
              probabilities: { type: 'array', items: { type: 'array', items: { type: 'number' } }, description: 'only when the server reveals probabilities' },
              attemptsLeft: { type: 'integer', description: 'attempts left in the current window' },
              resetsAt: { type: 'string', format: 'date-time', description: 'when the window ends and the budget is whole again' },
            },
          },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (req) => {
      const token = tokens.get(req)!;
      const body = Buffer.isBuffer(req.body) ? req.body : c.rawJson.get(req.raw);
      if (body === undefined) throw new HttpError(400, 'request body missing; send {"shape": [...], "data": [...]} or a .npy file.');
      const x = requestBatch(body, c.defended.space, c.limits.maxBatch);
      const n = x.shape[0]!;
      // Requests admitted but still waiting for their spend's commit count as queued.
      if (c.queue.isFull(c.spends.pending)) {
        c.metrics.overloadRejections.inc();
        throw new HttpError(503, `server busy: ${c.queue.depth} requests wait for the model; retry in a second.`, { 'Retry-After': '1' });
      }
      const now = c.now();
      const spent = await c.spends.spend(token, n, now);
      if (!spent.ok) {
        if (spent.reason === 'unknown') throw new HttpError(401, 'unknown or revoked token; ask the operator for a valid one.', { 'WWW-Authenticate': 'Bearer' });
        c.metrics.budgetRejections.inc();
        const resetsAt = new Date(spent.token.resetsAt).toISOString();
        const asked = n === 1 ? '' : ` (this request asks for ${n})`;
        throw new HttpError(
          429,
          `attempt budget spent: ${spent.remaining} of ${spent.token.budget} attempts left in this window${asked}; it resets at ${resetsAt}.`,
          { 'Retry-After': String(Math.max(1, Math.ceil((spent.token.resetsAt - now) / 1000))) },
          { attemptsLeft: spent.remaining, resetsAt },
        );
      }
      const logits = await classifyWithin(c, x);
      c.metrics.samples.inc(n);
      return {
        labels: Array.from(argmaxRows(logits)),
        ...(c.reveal === 'probabilities' ? { probabilities: probabilityRows(logits) } : {}),
        attemptsLeft: spent.remaining,
        resetsAt: new Date(spent.token.resetsAt).toISOString(),
      };
    },
  );

  app.get(
    '/v1/budget',
    {
      onRequest,
      schema: {
        summary: "The token's budget and what is left of it in the current window (spends nothing)",
        security,
        response: {
          200: {
            type: 'object',
            properties: { name: { type: 'string' }, budget: { type: 'integer' }, attemptsLeft: { type: 'integer' }, resetsAt: { type: 'string', format: 'date-time' } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const client = c.store.check(tokens.get(req)!, c.now());
      if (!client) throw new HttpError(401, 'unknown or revoked token; ask the operator for a valid one.', { 'WWW-Authenticate': 'Bearer' });
      return { name: client.name, budget: client.budget, attemptsLeft: client.budget - client.used, resetsAt: new Date(client.resetsAt).toISOString() };
    },
  );
}
