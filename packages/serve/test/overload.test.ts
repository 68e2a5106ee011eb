import { afterAll, describe, expect, it } from 'vitest';
import { GatedClassifier, classify, digits, jsonBody, mnistModel, releaseMnist, removeServiceDirs, startService } from './serve-fixture.ts';

/**
 * Overload, the time limit and draining, made deterministic with a model whose calls wait at a
 * gate the test opens: no sleeps, no timing assumptions.
 */

afterAll(async () => {
  await releaseMnist();
  removeServiceDirs();
});

const budgetLeft = async (url: string, token: string): Promise<number> =>
  ((await (await fetch(`${url}/v1/budget`, { headers: { authorization: `Bearer ${token}` } })).json()) as { attemptsLeft: number }).attemptsLeft;

describe('a bounded queue of model work', () => {
  it('queue full: 503 with Retry-After, nothing spent, and the held requests are answered once the model frees', async () => {
    const model = new GatedClassifier(await mnistModel());
    const s = await startService({ model, limits: { concurrency: 1, maxQueued: 1 } });
    try {
      const token = s.token('busy-client', 10);
      const one = jsonBody(digits(1).x);
      const running = classify(s.url, token, one);
      await model.waitFor(1);
      const queued = classify(s.url, token, one);
      // The second request is queued once its budget is spent (the spend precedes the queue).
      while (s.store.check(token)!.used < 2) await new Promise((r) => setTimeout(r, 5));
      const refused = await classify(s.url, token, one);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.error).toMatch(/server busy/);
      expect(await budgetLeft(s.url, token)).toBe(8);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/^mixnsqueeze_queue_depth 1$/m);
      expect(metrics).toMatch(/^mixnsqueeze_model_calls_in_flight 1$/m);
      expect(metrics).toMatch(/^mixnsqueeze_overload_rejections_total 1$/m);
      model.open();
      expect((await running).status).toBe(200);
      expect((await queued).status).toBe(200);
    } finally {
      model.open();
      await s.stop();
    }
  });

  it('over the time limit: 504 with one line; the attempt stays spent', async () => {
    const model = new GatedClassifier(await mnistModel());
    const s = await startService({ model, limits: { timeoutMs: 300 } });
    try {
      const token = s.token('slow-client', 5);
      const r = await classify(s.url, token, jsonBody(digits(1).x));
      expect(r.status).toBe(504);
      expect(r.body.error).toMatch(/longer than the limit of 300 ms/);
      expect(await budgetLeft(s.url, token)).toBe(4);
    } finally {
      model.open();
      await s.stop();
    }
  });
});

describe('draining', () => {
  it('close() answers the requests in flight, refuses new ones and then stops', async () => {
    const model = new GatedClassifier(await mnistModel());
    const s = await startService({ model });
    const token = s.token('drain-client', 5);
    const inFlight = classify(s.url, token, jsonBody(digits(1).x));
    await model.waitFor(1);
    let closed = false;
    const closing = s.service.close().then(() => (closed = true));
    // While it drains, a new request is refused (connection refused, or 503 on a kept-alive one).
    const late = await fetch(`${s.url}/readyz`).then((r) => r.status, () => 'refused');
    expect([503, 'refused']).toContain(late);
    expect(closed).toBe(false);
    model.open();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.body.labels).toHaveLength(1);
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    s.store.close();
  });
});
