import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadClassifier, loadMnist, takeSamples } from '@mixnsqueeze/backends';
import type { Batch } from '@mixnsqueeze/core';
import { Median, UniformNoise, defend } from '@mixnsqueeze/squeezers';
import { TokenStore } from '@mixnsqueeze/serve';
import { type BenchGroup, throughput } from '../measurement.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = 'packages/game/bin/mixnsqueeze.js';
/** Seconds per load case (bounded in time), and requests of the memory case (bounded in count). */
const SECONDS = Number(process.env.MNS_BENCH_SERVE_SECONDS ?? 5);
const MEMORY_REQUESTS = Number(process.env.MNS_BENCH_SERVE_REQUESTS ?? 100_000);
const CONNECTIONS = 10;
const DEFENSE = ['uniform:0.5', 'median:2x2'];

/** `mixnsqueeze serve` from the sources in a process of its own, as deployed; resolves with its URL. */
function startServer(db: string): Promise<{ child: ChildProcess; url: string }> {
  const args = ['--conditions=@mixnsqueeze/source', '--import', 'tsx', BIN, 'serve', '--model', 'mnist', ...DEFENSE.flatMap((d) => ['--defense', d]), '--db', db, '--port', '0', '--no-log', '--max-queue', '1000', '--concurrency', process.env.MNS_BENCH_SERVE_CONCURRENCY ?? '1'];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+) .*\n/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('close', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** The server's resident memory, from its own /metrics (prom-client's process metrics). */
async function serverRss(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^mixnsqueeze_process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
}

const body = (x: Batch): string => JSON.stringify({ shape: x.shape, data: Array.from(x.data) });

/**
 * `mixnsqueeze serve` under load (autocannon, 10 connections against 127.0.0.1): requests/s and
 * p50/p99 latency for batches of 1 and 100 MNIST test digits through uniform:0.5 + median:2x2,
 * beside the in-process `defend(...).predict` rate on the same machine; then the server's resident
 * memory before and after 100,000 single-digit requests. Server and load generator share the
 * machine's cores.
 */
export const serveBench: BenchGroup = {
  name: 'serve',
  description: 'mixnsqueeze serve under autocannon load against in-process defend(...).predict (MNIST, uniform:0.5 + median:2x2)',
  async run(report) {
    const digits = takeSamples(loadMnist('test'), 100).x;
    const one: Batch = { data: digits.data.subarray(0, 784), shape: [1, 28, 28, 1] };
    const model = await loadClassifier('mnist', { log: () => {} });
    const defended = defend(model, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)] });
    for (const x of [one, digits]) {
      const n = x.shape[0]!;
      const rate = await throughput(n, () => defended.predict(x), 1000);
      report({ bench: 'serve', case: `in process: defend(...).predict, batch ${n}`, batch: n, workers: 1, images_per_s: rate, requests_per_s: Number((rate / n).toFixed(1)) });
    }
    await (model as { close?: () => Promise<void> }).close?.();

    const dir = mkdtempSync(join(tmpdir(), 'mns-bench-serve-'));
    const db = join(dir, 'tokens.db');
    const store = new TokenStore(db);
    const token = store.create('bench', 1e12, 86_400_000).token;
    store.close();
    const { child, url } = await startServer(db);
    try {
      const load = (b: string, bounds: { duration?: number; amount?: number }) =>
        autocannon({
          url: `${url}/v1/classify`,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: b,
          connections: CONNECTIONS,
          ...bounds,
        });
      for (const x of [one, digits]) {
        const n = x.shape[0]!;
        const r = await load(body(x), { duration: SECONDS });
        report({
          bench: 'serve',
          case: `HTTP: POST /v1/classify JSON, batch ${n}, ${CONNECTIONS} connections, ${SECONDS} s`,
          batch: n,
          workers: 1,
          images_per_s: r.requests.average * n,
          requests_per_s: r.requests.average,
          p50_ms: r.latency.p50,
          p99_ms: r.latency.p99,
          non_2xx: r.non2xx,
          errors: r.errors,
        });
      }
      const before = await serverRss(url);
      const t0 = performance.now();
      const r = await load(body(one), { amount: MEMORY_REQUESTS });
      const seconds = (performance.now() - t0) / 1000;
      const after = await serverRss(url);
      report({
        bench: 'serve',
        case: `memory: ${MEMORY_REQUESTS.toLocaleString('en-US')} requests of batch 1`,
        batch: 1,
        workers: 1,
        images_per_s: (r.requests.sent ?? MEMORY_REQUESTS) / seconds,
        requests_2xx: r['2xx'],
        rss_before_mb: Math.round(before / 2 ** 20),
        rss_after_mb: Math.round(after / 2 ** 20),
        p99_ms: r.latency.p99,
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
