import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Batch, type Classifier, concatBatches, sliceBatch } from '@mixnsqueeze/core';
import {
  OnnxClassifier,
  TfjsClassifier,
  WorkerPool,
  exportModelJsonToOnnx,
  fileModelIo,
  loadMnist,
  mnistCnn,
  useTfjsBackend,
} from '@mixnsqueeze/backends';
import { Median, UniformNoise, defend } from '@mixnsqueeze/squeezers';
import { type BenchGroup, type Report, throughput } from '../measurement.ts';

const SHIPPED = fileURLToPath(new URL('../../packages/backends/models/mnist/', import.meta.url));
const BATCHES = [1, 100, 1000] as const;
const quiet = () => undefined;

/** The Mix'n'Squeeze pipeline of the paper's MNIST operating point: uniform 0.5, median 2x2. */
export const defense = () => ({ randomize: new UniformNoise(0.5), squeeze: [new Median(2)] });

/**
 * The shipped MNIST CNN (model.json and model.onnx); where it is not there yet, the same
 * architecture with random weights, exported to a temporary ONNX file (throughput does not
 * depend on the weights).
 */
export async function models(dir: string): Promise<{ tfjs: TfjsClassifier; json: string; onnx: string; weights: string }> {
  const shipped = { json: join(SHIPPED, 'model.json'), onnx: join(SHIPPED, 'model.onnx') };
  if (existsSync(shipped.json) && existsSync(shipped.onnx)) {
    return { tfjs: await TfjsClassifier.load(shipped.json, { backend: 'wasm', log: quiet }), ...shipped, weights: 'shipped' };
  }
  await useTfjsBackend('wasm', quiet);
  const model = mnistCnn({ seed: 1 });
  const json = join(dir, 'model.json');
  await model.save(fileModelIo(json));
  await exportModelJsonToOnnx(json, join(dir, 'model.onnx'));
  return { tfjs: new TfjsClassifier(model), json, onnx: join(dir, 'model.onnx'), weights: 'random' };
}

/**
 * tfjs-wasm on one worker thread per core (bench only: tfjs-wasm has no threads in Node), each
 * holding the model; a batch is split evenly across them.
 */
async function tfjsWorkers(json: string, like: Classifier, workers: number): Promise<{ model: Classifier; close(): Promise<void> }> {
  const { pool } = await WorkerPool.start(new URL('./forward-tfjs-worker.mjs', import.meta.url), { modelJson: json }, workers);
  const model: Classifier = {
    space: like.space,
    classes: like.classes,
    stochastic: false,
    async predict(x) {
      const n = x.shape[0]!;
      const k = Math.min(workers, n);
      const parts = Array.from({ length: k }, (_, i) => sliceBatch(x, Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)));
      const run = (p: Batch) =>
        pool.run({
          message: () => ({ data: p.data.slice(), shape: p.shape }),
          result: (_slot, y): Batch => ({ data: y as Float32Array, shape: [p.shape[0]!, like.classes] }),
        });
      return concatBatches(await Promise.all(parts.map(run)));
    },
  };
  return { model, close: () => pool.close() };
}

async function forward(report: Report, c: Classifier, x: Batch, row: Record<string, string | number | boolean>) {
  for (const batch of BATCHES) {
    const xb = sliceBatch(x, 0, batch);
    const images_per_s = await throughput(batch, () => c.predict(xb));
    report({ bench: 'forward', case: 'forward', batch, images_per_s, workers: 1, ...row });
  }
}

/**
 * The same 1,000 images as four concurrent requests of 250: each request's defense runs on this
 * thread while the workers run the requests before it, which is what a pipelined defense (or a
 * server with requests in flight) gets.
 */
async function pipelined(report: Report, c: Classifier, x: Batch, row: Record<string, string | number | boolean>) {
  const parts = [0, 1, 2, 3].map((i) => sliceBatch(x, i * 250, (i + 1) * 250));
  const images_per_s = await throughput(1000, () => Promise.all(parts.map((p) => c.predict(p))));
  report({ bench: 'forward', case: 'forward, 4 x 250 in flight', batch: 1000, images_per_s, workers: 1, ...row });
}

/**
 * Forward throughput of the MNIST CNN on tfjs-wasm and ONNX Runtime, on this thread and on one
 * worker per core, plain and behind uniform 0.5 + median 2x2 (the defended pipeline at batch
 * 1,000 on every worker is the target). Real digits from the MNIST test split; input
 * gradients are the `gradients` group.
 */
export const forwardBench: BenchGroup = {
  name: 'forward',
  description: 'MNIST CNN forward (batch 1, 100, 1000), plain and defended, images/s',
  async run(report) {
    const dir = await mkdtemp(join(tmpdir(), 'mixnsqueeze-bench-'));
    try {
      const x = sliceBatch(loadMnist('test').x, 0, 1000);
      const { tfjs, json, onnx, weights } = await models(dir);
      for (const workers of [...new Set([1, availableParallelism()])]) {
        const ort = await OnnxClassifier.load(onnx, { workers });
        try {
          await forward(report, ort, x, { backend: 'onnx', defended: false, workers, weights });
          await forward(report, defend(ort, defense()), x, { backend: 'onnx', defended: true, workers, weights });
          if (workers > 1) await pipelined(report, defend(ort, defense()), x, { backend: 'onnx', defended: true, workers, weights });
        } finally {
          await ort.close();
        }
      }
      await forward(report, tfjs, x, { backend: 'tfjs-wasm', defended: false, weights });
      await forward(report, defend(tfjs, defense()), x, { backend: 'tfjs-wasm', defended: true, weights });
      const all = availableParallelism();
      if (all > 1) {
        const pooled = await tfjsWorkers(json, tfjs, all);
        try {
          await forward(report, pooled.model, x, { backend: 'tfjs-wasm', defended: false, workers: all, weights });
          await forward(report, defend(pooled.model, defense()), x, { backend: 'tfjs-wasm', defended: true, workers: all, weights });
        } finally {
          await pooled.close();
        }
      }
      tfjs.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
