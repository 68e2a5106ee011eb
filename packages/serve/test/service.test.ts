import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRows, derivedKeys, encodeNpy, makeBatch } from '@mixnsqueeze/core';
import { Median, UniformNoise } from '@mixnsqueeze/squeezers';
import { type Running, classify, digits, jsonBody, mnistModel, releaseMnist, removeServiceDirs, startService } from './serve-fixture.ts';
import { TokenStore, createDefendedService } from '../src/index.ts';

/**
 * The service against real clients (fetch) on a free local port, in front of the zoo's MNIST model
 * behind uniform:0.5 + median:2x2: answers, every error path, budgets, keys, metrics, OpenAPI, logs.
 */

let s: Running;
let logs = '';
const five = digits(5);
let bare: number[];

beforeAll(async () => {
  bare = Array.from(argmaxRows(await (await mnistModel()).predict(five.x)));
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs += String(chunk);
      done();
    },
  });
  s = await startService({ log: { stream }, limits: { maxBatch: 8, bodyLimit: 200_000 } });
});

afterAll(async () => {
  await s?.stop();
  await releaseMnist();
  removeServiceDirs();
});

describe('POST /v1/classify', () => {
  it('answers a JSON batch with one label per sample and the attempts left', async () => {
    const token = s.token('json-client', 100);
    const r = await classify(s.url, token, jsonBody(five.x));
    expect(r.status).toBe(200);
    const labels = r.body.labels as number[];
    expect(labels).toHaveLength(5);
    // uniform 0.5 + median 2x2 keeps 97.6% accuracy: these five clean digits keep their label.
    expect(labels).toEqual(bare);
    expect(labels).toEqual(Array.from(five.labels));
    expect(r.body.attemptsLeft).toBe(95);
    expect(r.body).not.toHaveProperty('probabilities');
    expect(Date.parse(r.body.resetsAt as string)).toBeGreaterThan(Date.now());
  });

  it('answers a .npy batch (application/octet-stream) the same way', async () => {
    const token = s.token('npy-client', 10);
    const r = await classify(s.url, token, encodeNpy(five.x));
    expect(r.status).toBe(200);
    expect(r.body.labels).toEqual(bare);
    expect(r.body.attemptsLeft).toBe(5);
  });

  it('accepts data nested to the shape', async () => {
    const token = s.token('nested-client', 10);
    const one = Array.from({ length: 28 }, (_, i) => Array.from({ length: 28 }, (_, j) => [five.x.data[i * 28 + j]!]));
    const r = await classify(s.url, token, JSON.stringify({ shape: [1, 28, 28, 1], data: [one] }));
    expect(r.status).toBe(200);
    expect(r.body.labels).toEqual([bare[0]]);
  });
});

describe('errors: a status and one JSON line, never a crash', () => {
  let token: string;
  beforeAll(() => {
    token = s.token('error-client', 1000);
  });

  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
    ['no token', () => classify(s.url, undefined, jsonBody(five.x)), 401, /missing bearer token/],
    ['an unknown token', () => classify(s.url, 'mns_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', jsonBody(five.x)), 401, /unknown or revoked token/],
    ['a malformed token', () => classify(s.url, 'letmein', jsonBody(five.x)), 401, /unknown or revoked token/],
    ['malformed JSON', () => classify(s.url, token, '{"shape": [1, 28'), 400, /not valid JSON/],
    ['JSON without data (schema)', () => classify(s.url, token, '{"shape": [1, 28, 28, 1]}'), 400, /data/],
    ['a batch of the wrong shape', () => classify(s.url, token, JSON.stringify({ shape: [1, 784], data: new Array(784).fill(0) })), 400, /shape|28/],
    ['data that does not fill the shape', () => classify(s.url, token, JSON.stringify({ shape: [1, 28, 28, 1], data: [0, 1] })), 400, /request body/],
    ['NaN values (null in JSON)', () => classify(s.url, token, JSON.stringify({ shape: [1, 28, 28, 1], data: [null, ...new Array(783).fill(0)] })), 400, /NaN/],
    ['values out of bounds', () => classify(s.url, token, JSON.stringify({ shape: [1, 28, 28, 1], data: new Array(784).fill(3) })), 400, /\[0, 1\]/],
    ['an empty batch', () => classify(s.url, token, JSON.stringify({ shape: [0, 28, 28, 1], data: [] })), 400, /N >= 1/],
    ['a malformed .npy', () => classify(s.url, token, new Uint8Array(64)), 400, /not a \.npy file/],
    ['a truncated .npy', () => classify(s.url, token, encodeNpy(five.x).subarray(0, 500)), 400, /truncated/],
    ['more samples than the batch limit', () => classify(s.url, token, jsonBody(digits(9).x)), 413, /over the limit of 8/],
    ['a body over the size limit', () => classify(s.url, token, JSON.stringify({ shape: [1, 28, 28, 1], data: new Array(30_000).fill(0.123456) })), 413, /over the limit of 200000 bytes/],
    ['an unsupported content type', () => classify(s.url, token, 'digits', 'text/plain'), 415, /application\/json/],
  ];
  it.each(cases)('%s', async (_name, send, status, says) => {
    const r = await send();
    expect(r.status).toBe(status);
    expect(Object.keys(r.body)).toContain('error');
    const error = r.body.error as string;
    expect(error).not.toContain('\n');
    expect(error).toMatch(says);
  });

  it('spends nothing on a refused request', async () => {
    const r = await fetch(`${s.url}/v1/budget`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await r.json()) as { attemptsLeft: number }).attemptsLeft).toBe(1000);
  });

  it('an unknown route is a JSON 404', async () => {
    const r = await fetch(`${s.url}/v2/classify`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: string }).error).toMatch(/no route GET \/v2\/classify/);
  });

  it('a revoked token is refused', async () => {
    const t = s.token('soon-revoked', 10);
    expect((await classify(s.url, t, jsonBody(digits(1).x))).status).toBe(200);
    s.store.revoke('soon-revoked');
    const r = await classify(s.url, t, jsonBody(digits(1).x));
    expect(r.status).toBe(401);
  });
});

describe('budgets', () => {
  it('429 with the reset time once the budget is spent; a request larger than what is left is refused whole', async () => {
    const token = s.token('budget-client', 6);
    expect((await classify(s.url, token, jsonBody(five.x))).body.attemptsLeft).toBe(1);
    const tooMany = await classify(s.url, token, jsonBody(digits(2).x));
    expect(tooMany.status).toBe(429);
    expect(tooMany.body.attemptsLeft).toBe(1);
    expect(tooMany.body.error).toMatch(/1 of 6 attempts left in this window \(this request asks for 2\); it resets at \d{4}-/);
    expect(Number(tooMany.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await classify(s.url, token, jsonBody(digits(1).x))).body.attemptsLeft).toBe(0);
    const spent = await classify(s.url, token, jsonBody(digits(1).x));
    expect(spent.status).toBe(429);
    expect(spent.body.resetsAt).toBe(new Date(s.store.check(token)!.resetsAt).toISOString());
  });

  it('100 concurrent single-sample requests on a budget of 50: exactly 50 answered, 50 refused', async () => {
    const token = s.token('concurrent-client', 50);
    const one = jsonBody(digits(1).x);
    const many = await startService({ db: s.db, limits: { maxQueued: 200 } });
    try {
      // Half through each of two servers on the same database: in-process and cross-process paths alike serialize on SQLite.
      const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => classify(i % 2 ? s.url : many.url, token, one)));
      const codes = rs.map((r) => r.status).sort();
      expect(codes.filter((c) => c === 200)).toHaveLength(50);
      expect(codes.filter((c) => c === 429)).toHaveLength(50);
      const left = rs.filter((r) => r.status === 200).map((r) => r.body.attemptsLeft as number).sort((a, b) => a - b);
      expect(left).toEqual(Array.from({ length: 50 }, (_, i) => i));
    } finally {
      await many.stop();
    }
  });

  it('a restart finds the spend: the attempts stay spent', async () => {
    const first = await startService();
    const token = first.token('restart-client', 3);
    expect((await classify(first.url, token, jsonBody(digits(3).x))).status).toBe(200);
    await first.stop();
    const second = await startService({ db: first.db });
    try {
      const r = await classify(second.url, token, jsonBody(digits(1).x));
      expect(r.status).toBe(429);
      expect(r.body.attemptsLeft).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it('the budget is whole again in the next window', async () => {
    let now = Date.UTC(2030, 0, 1);
    const w = await startService({ now: () => now });
    try {
      const token = w.store.create('window-client', 2, 60_000, now).token;
      expect((await classify(w.url, token, jsonBody(digits(2).x))).status).toBe(200);
      expect((await classify(w.url, token, jsonBody(digits(1).x))).status).toBe(429);
      now += 60_000;
      const r = await classify(w.url, token, jsonBody(digits(1).x));
      expect(r.status).toBe(200);
      expect(r.body.attemptsLeft).toBe(1);
      expect(r.body.resetsAt).toBe(new Date(Date.UTC(2030, 0, 1) + 120_000).toISOString());
    } finally {
      await w.stop();
    }
  });
});

describe('keys', () => {
  it('fresh OS keys for every request: the same digit twice gives different probabilities', async () => {
    const p = await startService({ reveal: 'probabilities' });
    try {
      const token = p.token('prob-client', 10);
      const body = jsonBody(digits(1).x);
      const a = await classify(p.url, token, body);
      const b = await classify(p.url, token, body);
      const pa = (a.body.probabilities as number[][])[0]!;
      const pb = (b.body.probabilities as number[][])[0]!;
      expect(pa).toHaveLength(10);
      expect(pa.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
      // Different noise draws reach the model: the probabilities differ (equal only if the keys repeated).
      expect(pa).not.toEqual(pb);
    } finally {
      await p.stop();
    }
  });

  it('refuses a defense with keys of its own', async () => {
    const store = new TokenStore(`${s.dir}/keys.db`);
    try {
      const defense = { randomize: new UniformNoise(0.5), squeeze: [new Median(2)], keys: derivedKeys('00112233445566778899aabbccddeeff') };
      await expect(createDefendedService({ model: await mnistModel(), defense, store })).rejects.toThrow(/fresh OS keys for every request/);
    } finally {
      store.close();
    }
  });
});

describe('operations', () => {
  it('/healthz, /readyz and /v1/model answer', async () => {
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${s.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const m = (await (await fetch(`${s.url}/v1/model`)).json()) as Record<string, unknown>;
    expect(m).toMatchObject({ inputShape: [28, 28, 1], bounds: [0, 1], classes: 10, defense: ['uniform:0.5', 'median:2x2'], reveal: 'label', maxBatch: 8 });
  });

  it('/metrics counts requests, latency, samples, budget rejections and the queue', async () => {
    const token = s.token('metrics-client', 2);
    await classify(s.url, token, jsonBody(digits(2).x));
    await classify(s.url, token, jsonBody(digits(1).x));
    const r = await fetch(`${s.url}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('mixnsqueeze_samples_classified_total')).toBeGreaterThanOrEqual(2);
    expect(value('mixnsqueeze_budget_rejections_total')).toBeGreaterThanOrEqual(1);
    expect(value('mixnsqueeze_queue_depth')).toBe(0);
    expect(text).toMatch(/^mixnsqueeze_http_requests_total\{route="\/v1\/classify",method="POST",status="429"\} \d+$/m);
    expect(text).toMatch(/^mixnsqueeze_http_request_duration_seconds_bucket\{le="0.1",route="\/v1\/classify"\} \d+$/m);
  });

  it('/openapi.json describes the classify route, both body types and the bearer scheme', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    const post = doc.paths['/v1/classify']!.post!;
    expect(Object.keys(post.requestBody!.content).sort()).toEqual(['application/json', 'application/octet-stream']);
    expect(Object.keys(post.responses)).toContain('200');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics', '/v1/budget', '/v1/model']));
  });

  it('the log has the requests but no token and no payload', async () => {
    const token = s.token('log-client', 5);
    await classify(s.url, token, jsonBody(digits(1).x));
    expect(logs).toMatch(/"url":"\/v1\/classify"/);
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(token.split('_')[2]!);
    expect(logs).not.toMatch(/"data"|"shape"/);
    expect(logs).not.toMatch(/authorization/i);
  });
});

describe('a bare model', () => {
  it('serves with no defense at all (labels equal the model\'s)', async () => {
    const b = await startService({ defense: {} });
    try {
      const r = await classify(b.url, b.token('bare-client', 5), jsonBody(five.x));
      expect(r.body.labels).toEqual(bare);
      expect(await (await fetch(`${b.url}/v1/model`)).json()).toMatchObject({ defense: [] });
    } finally {
      await b.stop();
    }
  });

  it('makeBatch sanity: a blank image is answered too', async () => {
    const r = await classify(s.url, s.token('blank-client', 1), jsonBody(makeBatch(new Float32Array(784), [1, 28, 28, 1])));
    expect(r.status).toBe(200);
  });
});
