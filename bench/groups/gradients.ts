import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Batch, type DifferentiableClassifier, concatBatches, sliceBatch } from '@mixnsqueeze/core';
import { OnnxClassifier, WorkerPool, loadMnist } from '@mixnsqueeze/backends';
import { defend } from '@mixnsqueeze/squeezers';
import { type BenchGroup, type Report, throughput } from '../measurement.ts';
import { defense, models } from './forward.ts';
import { PEER_HINT, TorchPeer, peerAvailable } from './torch-peer.ts';

const BATCH = 100;
/** Calls of the memory loop: 60,000 gradients, long enough for any per-call leak to show. */
const MEMORY_CALLS = 600;
const MiB = 2 ** 20;

/** tfjs-wasm input gradients on one worker thread per core, a batch split evenly across them. */
async function tfjsWorkers(json: string, like: DifferentiableClassifier, workers: number): Promise<{ model: Pick<DifferentiableClassifier, 'vjp'>; close(): Promise<void> }> {
  const { pool } = await WorkerPool.start(new URL('./gradient-tfjs-worker.mjs', import.meta.url), { modelJson: json }, workers);
  const k = like.classes;
  return {
    model: {
      async vjp(x, g) {
        const n = x.shape[0]!;
        const parts = Array.from({ length: workers }, (_, i) => [Math.floor((i * n) / workers), Math.floor(((i + 1) * n) / workers)] as const);
        const run = ([a, b]: readonly [number, number]) =>
          pool.run({
            message: () => ({ data: sliceBatch(x, a, b).data.slice(), shape: [b - a, ...x.shape.slice(1)], seed: g.data.slice(a * k, b * k) }),
            result: (_slot, y): Batch => ({ data: y as Float32Array, shape: [b - a, ...x.shape.slice(1)] }),
          });
        return concatBatches(await Promise.all(parts.map(run)));
      },
    },
    close: () => pool.close(),
  };
}

type Row = { readonly backend: string; readonly defended: boolean; readonly workers: number; readonly weights: string };

async function gradient(report: Report, c: Pick<DifferentiableClassifier, 'vjp'>, x: Batch, row: Row) {
  const xb = sliceBatch(x, 0, BATCH);
  const g = { data: new Float32Array(BATCH * 10).map((_, i) => Math.sin(i)), shape: [BATCH, 10] };
  const images_per_s = await throughput(BATCH, () => c.vjp(xb, g), 1000);
  report({ bench: 'gradients', case: 'input gradient', batch: BATCH, images_per_s, ...row });
}

/**
 * Resident memory of the whole process (main thread and workers) over a long run of gradient
 * calls at batch 100: steady state and growth from the first sample (after a warm-up) to the last.
 */
async function memory(report: Report, c: DifferentiableClassifier, x: Batch, row: Row) {
  const xb = sliceBatch(x, 0, BATCH);
  const g = { data: new Float32Array(BATCH * 10).fill(0.1), shape: [BATCH, 10] };
  for (let i = 0; i < 20; i++) await c.vjp(xb, g);
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < MEMORY_CALLS; i++) {
    await c.vjp(xb, g);
    if (i % 50 === 49) samples.push(process.memoryUsage.rss() / MiB);
  }
  const images_per_s = (MEMORY_CALLS * BATCH * 1000) / (performance.now() - t0);
  report({
    bench: 'gradients',
    case: `memory over ${MEMORY_CALLS} gradient calls`,
    batch: BATCH,
    images_per_s,
    ...row,
    rss_first_mib: Math.round(samples[0]!),
    rss_last_mib: Math.round(samples.at(-1)!),
    rss_max_mib: Math.round(Math.max(...samples)),
  });
}

/**
 * The PyTorch peer's input gradients of the same model at batch 100 (bench/torch_peer.py, cases
 * gradient and defended-gradient: 100 calls each, after ours on all workers, never beside them),
 * where `/usr/bin/python3` imports torch; a one-line note otherwise.
 */
async function torchGradients(report: Report, json: string, model: DifferentiableClassifier, x: Batch, weights: string) {
  if (!peerAvailable()) {
    process.stderr.write(`  PyTorch peer skipped: ${PEER_HINT}\n`);
    return;
  }
  const xb = sliceBatch(x, 0, BATCH);
  const peer = await TorchPeer.prepare(json, model.space, xb, new Int32Array(BATCH), await model.predict(xb));
  try {
    for (const c of ['gradient', 'defended-gradient'] as const) {
      const p = peer.run(c);
      report({
        bench: 'gradients',
        case: 'input gradient',
        batch: BATCH,
        images_per_s: p.gradient / p.seconds,
        backend: `pytorch ${p.torch} (${p.layout}, BLAS ${p.blas.replace(/.*\/(?=[^/]*\/libblas)/, '').replace('/libblas.so.3', '')})`,
        defended: c === 'defended-gradient',
        workers: p.threads,
        weights,
      });
    }
  } finally {
    peer.dispose();
  }
}

/**
 * Input-gradient throughput of the MNIST CNN at batch 100 (real digits, seed of ten classes):
 * tfjs-wasm (the project's forward-convolution Conv2D gradients) against the ONNX gradient graph
 * generated from model.onnx, on one thread and on one worker per core, side by side; the ONNX
 * gradient through uniform 0.5 + median 2x2; the same two in PyTorch (threads for workers) when
 * Debian's python3-torch is installed; and resident memory over a long ONNX run.
 */
export const gradientsBench: BenchGroup = {
  name: 'gradients',
  description: 'MNIST CNN input gradient (batch 100), tfjs-wasm vs ONNX gradient graph, images/s; RSS over a long run',
  async run(report) {
    const dir = await mkdtemp(join(tmpdir(), 'mixnsqueeze-bench-'));
    try {
      const x = sliceBatch(loadMnist('test').x, 0, 1000);
      const { tfjs, json, onnx, weights } = await models(dir);
      const all = availableParallelism();
      for (const workers of [...new Set([1, all])]) {
        const ort = await OnnxClassifier.loadDifferentiable(onnx, { workers });
        try {
          await gradient(report, ort, x, { backend: 'onnx', defended: false, workers, weights });
          await gradient(report, defend(ort, defense()), x, { backend: 'onnx', defended: true, workers, weights });
          if (workers === all) {
            await torchGradients(report, json, ort, x, weights);
            await memory(report, ort, x, { backend: 'onnx', defended: false, workers, weights });
          }
        } finally {
          await ort.close();
        }
        if (workers === 1) await gradient(report, tfjs, x, { backend: 'tfjs-wasm', defended: false, workers, weights });
        else {
          const pooled = await tfjsWorkers(json, tfjs, workers);
          try {
            await gradient(report, pooled.model, x, { backend: 'tfjs-wasm', defended: false, workers, weights });
          } finally {
            await pooled.close();
          }
        }
      }
      tfjs.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
