import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, ShapeError, isSameDrawDifferentiable, logitsAndGradient, sliceBatch } from '@mixnsqueeze/core';
import { loadMnist } from '../src/data/mnist.ts';
import { type ForwardRunner, type GradientModel } from '../src/onnx/forward-runner.ts';
import { buildGradientGraph } from '../src/onnx/gradient/build-gradient-graph.ts';
import { modelFeed } from '../src/onnx/model-feed.ts';
import { modelSignature } from '../src/onnx/model-signature.ts';
import { DifferentiableOnnxClassifier, OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { OnnxPoolRunner } from '../src/pool/onnx-pool-runner.ts';
import { WorkerCrashError } from '../src/pool/worker-crash-error.ts';
import { loadClassifier } from '../src/zoo/load-classifier.ts';
import { linearModel, pseudoRandom, tempDir, writeModel } from './onnx-fixtures.ts';

const MODELS = new URL('../models/', import.meta.url).pathname;
const RESNET = `${MODELS}cifar10-resnet8/model.onnx`;

/** Positions where two float arrays differ in their bits (so -0 differs from 0; NaN equals only the same NaN). */
function bitDifferences(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let d = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) d++;
  return d;
}

/** The seed of softmax cross-entropy against `labels`: softmax(logits) - onehot, computed from the logits as an attack does. */
function crossEntropySeed(labels: Int32Array) {
  return (logits: Batch): Batch => {
    const [n, k] = logits.shape as [number, number];
    const seed = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = logits.data.subarray(i * k, (i + 1) * k);
      const max = Math.max(...row);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(row[c]! - max);
      for (let c = 0; c < k; c++) seed[i * k + c] = Math.exp(row[c]! - max) / sum - (c === labels[i % labels.length] ? 1 : 0);
    }
    return { data: seed, shape: [n, k] };
  };
}

function shared(bytes: Uint8Array): SharedArrayBuffer {
  const s = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(s).set(bytes);
  return s;
}

/** A model's gradient graph and its split, as the classifier hands them to its runner. */
function gradientModelOf(model: Uint8Array, inputDims: readonly number[]): GradientModel {
  const g = buildGradientGraph(model, { inputDims });
  if (typeof g.split === 'string') throw new Error(g.split);
  return {
    bytes: shared(g.model),
    seedName: g.seedName,
    gradientName: g.gradientName,
    split: {
      forward: shared(g.split.forward),
      backward: shared(g.split.backward),
      logitsName: g.logitsName,
      seedName: g.seedName,
      gradientName: g.gradientName,
      kept: g.split.kept,
    },
  };
}

/** The classifier's runner, for what only tests look at (activations kept in the workers). */
const runnerOf = (m: OnnxClassifier) => (m as unknown as { runner: ForwardRunner }).runner;

/** vjpWith against predict then vjp on the same classifier: the same logits and gradients, bit for bit. */
async function expectSameAsPredictThenVjp(m: DifferentiableOnnxClassifier, x: Batch, seedOf: (logits: Batch) => Batch): Promise<void> {
  const logits = await m.predict(x);
  const grad = await m.vjp(x, seedOf(logits));
  const seen: Batch[] = [];
  const r = await m.vjpWith(x, (l) => {
    seen.push(l);
    return seedOf(l);
  });
  expect(seen).toHaveLength(1);
  expect(r.logits.shape).toEqual(logits.shape);
  expect(r.grad.shape).toEqual(x.shape);
  expect(bitDifferences(r.logits.data, logits.data)).toBe(0);
  expect(bitDifferences(r.grad.data, grad.data)).toBe(0);
  expect(await runnerOf(m).keptShards()).toBe(0);
}

describe('vjpWith on the shipped MNIST CNN (64 official test digits)', () => {
  const test = loadMnist('test');
  const x = sliceBatch(test.x, 0, 64);
  const seedOf = crossEntropySeed(test.labels.subarray(0, 64));

  it.each([1, 2])('equals predict + vjp bit for bit and keeps nothing afterwards (%i workers)', async (workers) => {
    const m = await loadClassifier('mnist', { onnx: { workers }, log: () => undefined });
    try {
      expect(m).toBeInstanceOf(DifferentiableOnnxClassifier);
      const model = m as DifferentiableOnnxClassifier;
      expect(isSameDrawDifferentiable(model)).toBe(true);
      await expectSameAsPredictThenVjp(model, x, seedOf);
      // Several shards per worker (4 shards of 62-63 on 2 workers; 3 chunks in one thread).
      const many = { data: new Float32Array(250 * 784), shape: [250, 28, 28, 1] };
      for (let i = 0; i < 250; i++) many.data.set(x.data.subarray((i % 64) * 784, ((i % 64) + 1) * 784), i * 784);
      await expectSameAsPredictThenVjp(model, many, seedOf);
      // What callers use: logitsAndGradient takes vjpWith for this model.
      const both = await logitsAndGradient(model, x, seedOf);
      const logits = await model.predict(x);
      expect(bitDifferences(both.logits.data, logits.data)).toBe(0);
      expect(bitDifferences(both.grad.data, (await model.vjp(x, seedOf(logits))).data)).toBe(0);
    } finally {
      await (m as OnnxClassifier).close();
    }
  });

  it.each([1, 2])('leaves no activations behind: many calls, a throwing seedOf, a wrong seed shape (%i workers)', async (workers) => {
    const m = await OnnxClassifier.loadDifferentiable(`${MODELS}mnist/model.onnx`, { workers });
    const runner = runnerOf(m);
    try {
      const small = sliceBatch(x, 0, 16);
      for (let i = 0; i < 40; i++) await m.vjpWith(small, seedOf);
      // Four calls in flight at once, as an EOT surface issues them.
      await Promise.all(Array.from({ length: 4 }, () => m.vjpWith(x, seedOf)));
      expect(await runner.keptShards()).toBe(0);
      await expect(m.vjpWith(x, () => { throw new Error('loss failed'); })).rejects.toThrow('loss failed');
      expect(await runner.keptShards()).toBe(0);
      await expect(m.vjpWith(x, () => ({ data: new Float32Array(3), shape: [1, 3] }))).rejects.toBeInstanceOf(ShapeError);
      expect(await runner.keptShards()).toBe(0);
      // Mid-pass the workers do keep the shards' tensors; release drops them.
      const sig = (m as unknown as { signature: Parameters<ForwardRunner['run']>[1] }).signature;
      const graph = gradientModelOf(new Uint8Array(await readFile(`${MODELS}mnist/model.onnx`)), [28, 28, 1]);
      const pass = await runner.gradientPass(modelFeed(x, sig.layout), sig, graph);
      expect(await runner.keptShards()).toBe(workers === 1 ? 1 : 2);
      await pass.release();
      expect(await runner.keptShards()).toBe(0);
      // The classifier is still fine afterwards.
      await expectSameAsPredictThenVjp(m, small, seedOf);
    } finally {
      await m.close();
    }
  });
});

describe.skipIf(!existsSync(RESNET))('vjpWith on a model with branches (CIFAR-10 ResNet-8: residual adds)', () => {
  it.each([1, 2])('equals predict + vjp bit for bit (%i workers)', async (workers) => {
    const n = 12;
    const x = { data: pseudoRandom(n * 3072, 31).map((v) => (v + 1) / 2), shape: [n, 32, 32, 3] };
    const m = await OnnxClassifier.loadDifferentiable(RESNET, { workers });
    try {
      await expectSameAsPredictThenVjp(m, x, crossEntropySeed(Int32Array.from({ length: n }, (_, i) => i % 10)));
    } finally {
      await m.close();
    }
  });
});

describe('gradient passes on the worker pool', () => {
  const script = new URL('./pool-crashing-worker.mjs', import.meta.url);
  let model: Uint8Array;
  let graph: GradientModel;

  beforeAll(async () => {
    model = new Uint8Array(await readFile(`${MODELS}mnist/model.onnx`));
    graph = gradientModelOf(model, [28, 28, 1]);
  });

  it('recomputes through the whole graph a shard whose worker died between the passes: same gradient, nothing kept', async () => {
    const budget = new Int32Array(new SharedArrayBuffer(4));
    const { runner, info } = await OnnxPoolRunner.start(model, { workers: 2, intraOpThreads: 1, faultInjection: { script, workerData: { crashes: budget } } });
    try {
      const sig = { ...modelSignature('mnist', info.inputs, info.outputs), classes: 10 };
      const x = sliceBatch(loadMnist('test').x, 0, 40);
      const seed = pseudoRandom(400, 5);
      const feed = modelFeed(x, sig.layout);
      const expected = await runner.gradient(feed, seed, sig, graph);
      const logits = (await runner.run(feed, sig)).data;
      const pass = await runner.gradientPass(feed, sig, graph);
      expect(bitDifferences(pass.logits, logits)).toBe(0);
      Atomics.store(budget, 0, 1); // the next job kills its worker: one of the two backward shards
      const grad = await pass.backward(seed);
      await pass.release();
      expect(runner.replaced).toBe(1);
      expect(bitDifferences(grad, expected)).toBe(0);
      expect(await runner.keptShards()).toBe(0);
    } finally {
      await runner.close();
    }
  });

  it('drops the kept shard of a pass whose forward part failed on the other worker', async () => {
    const budget = new Int32Array(new SharedArrayBuffer(4));
    const { runner, info } = await OnnxPoolRunner.start(model, { workers: 2, intraOpThreads: 1, faultInjection: { script, workerData: { crashes: budget } } });
    try {
      const sig = { ...modelSignature('mnist', info.inputs, info.outputs), classes: 10 };
      const feed = modelFeed(sliceBatch(loadMnist('test').x, 0, 40), sig.layout);
      // Both shards' first runs kill their workers, one retry dies too: one shard fails, the other is kept, then dropped.
      Atomics.store(budget, 0, 3);
      await expect(runner.gradientPass(feed, sig, graph)).rejects.toBeInstanceOf(WorkerCrashError);
      expect(runner.replaced).toBe(3);
      expect(await runner.keptShards()).toBe(0);
    } finally {
      await runner.close();
    }
  });
});

describe('vjpWith on a model whose backward part reads the logits (a final Softmax)', () => {
  it.each([1, 2])('equals predict + vjp bit for bit (%i workers)', async (workers) => {
    const { onnx } = onnxProto;
    const info = (name: string, dims: (number | string)[]) => ({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
    const weights = pseudoRandom(6 * 4, 51);
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'softmax-head',
        node: [
          { opType: 'Gemm', name: 'dense', input: ['x', 'w'], output: ['z'] },
          { opType: 'Softmax', name: 'softmax', input: ['z'], output: ['probs'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] },
        ],
        initializer: [{ name: 'w', dims: [6, 4], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(weights.buffer.slice(0)) }],
        input: [info('x', ['N', 6])],
        output: [info('probs', ['N', 4])],
      },
    }).finish();
    const g = buildGradientGraph(bytes);
    expect(typeof g.split === 'string' ? g.split : g.split.kept.map((k) => k.name)).toContain('probs');
    const { dir, cleanup } = await tempDir();
    const m = await OnnxClassifier.loadDifferentiable(await writeModel(dir, 'softmax.onnx', bytes), { workers });
    try {
      const x = { data: pseudoRandom(30 * 6, 52), shape: [30, 6] };
      await expectSameAsPredictThenVjp(m, x, crossEntropySeed(Int32Array.from({ length: 30 }, (_, i) => i % 4)));
    } finally {
      await m.close();
      await cleanup();
    }
  });
});

describe('vjpWith on models with a fixed batch size or an NCHW input', () => {
  it.each([
    ['fixed batch 4 (the last call padded)', [4, 28, 28, 1], [5, 28, 28, 1], 10],
    ['NCHW input (gradients back in NHWC)', ['N', 3, 4, 4], [6, 4, 4, 3], 5],
  ] as const)('%s: equals predict + vjp bit for bit', async (_name, inputDims, shape, classes) => {
    const size = shape.slice(1).reduce((a: number, b: number) => a * b, 1);
    const bytes = linearModel({ inputDims, classes, weights: pseudoRandom(size * classes, 61) });
    const { dir, cleanup } = await tempDir();
    try {
      for (const workers of [1, 2]) {
        const m = await OnnxClassifier.loadDifferentiable(await writeModel(dir, `linear-${workers}.onnx`, bytes), { workers });
        try {
          const x = { data: pseudoRandom(shape[0] * size, 62), shape: [...shape] };
          await expectSameAsPredictThenVjp(m, x, crossEntropySeed(Int32Array.from({ length: shape[0] }, (_, i) => i % classes)));
        } finally {
          await m.close();
        }
      }
    } finally {
      await cleanup();
    }
  });
});

describe('split gradient graphs', () => {
  it('compute the model once: the backward part holds none of its nodes, the forward part no seed', async () => {
    const bytes = new Uint8Array(await readFile(`${MODELS}mnist/model.onnx`));
    const modelNodes = onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.length;
    const g = buildGradientGraph(bytes, { inputDims: [28, 28, 1] });
    if (typeof g.split === 'string') throw new Error(g.split);
    const forward = onnxProto.onnx.ModelProto.decode(g.split.forward).graph!;
    const backward = onnxProto.onnx.ModelProto.decode(g.split.backward).graph!;
    expect(forward.input!.map((i) => i.name)).toEqual([g.inputName]);
    const kept = g.split.kept.map((k) => k.name);
    expect(forward.output!.map((o) => o.name)).toEqual([g.logitsName, ...kept]);
    expect(backward.input!.map((i) => i.name)).toEqual([g.seedName, ...kept]);
    expect(backward.output!.map((o) => o.name)).toEqual([g.gradientName]);
    // The forward part: the model's nodes, the ReLU masks and the shapes the backward rules read.
    expect(forward.node!.slice(0, modelNodes).every((n) => !n.name?.startsWith('grad/'))).toBe(true);
    expect(new Set(forward.node!.slice(modelNodes).map((n) => n.opType))).toEqual(new Set(['Shape', 'Greater']));
    expect(backward.node!.every((n) => n.name?.startsWith('grad/') || n.name === `${g.gradientName}_node`)).toBe(true);
    // ReLU masks (a byte per element), max-pool indices (int64), shapes: 79,120 bytes per image.
    expect(g.split.kept.map((k) => k.type).sort()).toEqual([...Array(6).fill('bool'), ...Array(5).fill('int64')].sort());
    expect(g.split.keptBytesPerSample).toBe(79_120);
  });
});
