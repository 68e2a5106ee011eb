import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { modelFeed } from '../src/onnx/model-feed.ts';
import { modelSignature } from '../src/onnx/model-signature.ts';
import { OnnxPoolRunner } from '../src/pool/onnx-pool-runner.ts';
import { shardPlan } from '../src/pool/shard-plan.ts';
import { WorkerCrashError } from '../src/pool/worker-crash-error.ts';
import { WorkerPool } from '../src/pool/worker-pool.ts';
import { linearModel, pseudoRandom, tempDir, writeModel } from './onnx-fixtures.ts';

describe('shardPlan', () => {
  it('covers every sample once, in order, in equal shares per runner', () => {
    for (const [count, parts, max] of [[1000, 2, 128], [1, 4, 128], [100, 2, 128], [1001, 3, 64], [7, 16, 128]] as const) {
      const plan = shardPlan(count, parts, max);
      let next = 0;
      for (const s of plan) {
        expect(s.start).toBe(next);
        expect(s.n).toBeGreaterThan(0);
        expect(s.n).toBeLessThanOrEqual(max);
        expect(s.runSize).toBe(s.n);
        next += s.n;
      }
      expect(next).toBe(count);
      if (count >= parts) expect(plan.length % parts).toBe(0);
      expect(Math.max(...plan.map((s) => s.n)) - Math.min(...plan.map((s) => s.n))).toBeLessThanOrEqual(1);
    }
    expect(shardPlan(1000, 2, 128)).toHaveLength(8);
    expect(shardPlan(5, 2, 128, 2)).toEqual([
      { start: 0, n: 2, runSize: 2 },
      { start: 2, n: 2, runSize: 2 },
      { start: 4, n: 1, runSize: 2 },
    ]);
  });
});

describe('ONNX worker pool', () => {
  const weights = pseudoRandom(784 * 10, 21);
  const script = new URL('./pool-crashing-worker.mjs', import.meta.url);
  let model: Uint8Array;
  let path: string;
  let cleanup: () => Promise<void>;
  let expected: Float32Array;
  const n = 1000;
  const x = { data: pseudoRandom(n * 784, 22), shape: [n, 28, 28, 1] };

  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    path = await writeModel(tmp.dir, 'linear.onnx', linearModel({ inputDims: ['N', 28, 28, 1], classes: 10, weights }));
    model = new Uint8Array(await readFile(path));
    const reference = await OnnxClassifier.load(path, { workers: 1 });
    expected = (await reference.predict(x)).data;
    await reference.close();
  });
  afterAll(() => cleanup());

  async function start(crashes: number) {
    const budget = new Int32Array(new SharedArrayBuffer(4));
    budget[0] = crashes;
    const started = await OnnxPoolRunner.start(model, { workers: 2, intraOpThreads: 1, faultInjection: { script, workerData: { crashes: budget } } });
    return { ...started, signature: modelSignature(path, started.info.inputs, started.info.outputs) };
  }

  it('replaces a worker that dies mid-run and retries its shard: nothing lost or duplicated', async () => {
    const { runner, signature } = await start(1);
    try {
      const { data, perSample } = await runner.run(modelFeed(x, signature.layout), signature);
      expect(perSample).toBe(10);
      expect(runner.replaced).toBe(1);
      expect(data).toEqual(expected);
      expect((await runner.run(modelFeed(x, signature.layout), signature)).data).toEqual(expected);
    } finally {
      await runner.close();
    }
  });

  it('surfaces the error when the replacement dies on the same shard too', async () => {
    const { runner, signature } = await start(1_000);
    try {
      await expect(runner.run(modelFeed(x, signature.layout), signature)).rejects.toBeInstanceOf(WorkerCrashError);
    } finally {
      await runner.close();
    }
  });
});

describe('WorkerPool jobs bound to a slot', () => {
  it("run on that slot's worker, while unbound jobs go to any idle worker", async () => {
    const { dir, cleanup } = await tempDir();
    const script = join(dir, 'echo-worker.mjs');
    await writeFile(
      script,
      "import { parentPort, threadId } from 'node:worker_threads';\n" +
        "parentPort.on('message', ({ id }) => setTimeout(() => parentPort.postMessage({ type: 'done', id, body: threadId }), 2));\n" +
        "parentPort.postMessage({ type: 'ready', info: threadId });\n",
    );
    const { pool } = await WorkerPool.start(pathToFileURL(script), {}, 2);
    try {
      const job = (slot?: number) => {
        let asked: number | undefined;
        return pool.run({ slot, message: (s) => ((asked = s), {}), result: (s, body) => ({ slot: s, asked, thread: body as number }) });
      };
      const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => job(i % 2 === 0 ? 1 : undefined)));
      const bound = runs.filter((_, i) => i % 2 === 0);
      expect(bound.every((r) => r.slot === 1 && r.asked === 1)).toBe(true);
      expect(new Set(bound.map((r) => r.thread)).size).toBe(1);
      expect(new Set(runs.map((r) => r.slot))).toEqual(new Set([0, 1]));
    } finally {
      await pool.close();
      await cleanup();
    }
  });
});
