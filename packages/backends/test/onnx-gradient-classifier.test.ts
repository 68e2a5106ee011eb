import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, capabilitiesOf, isDifferentiable, logitsAndGradient, sliceBatch } from '@mixnsqueeze/core';
import { loadMnist } from '../src/data/mnist.ts';
import { UnsupportedOperatorError } from '../src/onnx/gradient/unsupported-operator-error.ts';
import { DifferentiableOnnxClassifier, OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { TfjsClassifier } from '../src/tfjs/tfjs-classifier.ts';
import { tinyModel } from './onnx-gradient-fixtures.ts';
import { linearModel, pseudoRandom, tempDir, writeModel } from './onnx-fixtures.ts';

const MNIST = new URL('../models/mnist/', import.meta.url).pathname;
const N = 24;

/** max |a - b| over max |b|: the relative error the parity tests bound. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

describe('DifferentiableOnnxClassifier on the shipped MNIST CNN', () => {
  let x: Batch;
  let seed: Batch;
  let reference: Float32Array;

  beforeAll(async () => {
    x = sliceBatch(loadMnist('test').x, 0, N);
    seed = { data: pseudoRandom(N * 10, 3), shape: [N, 10] };
    // tfjs `cpu`, not wasm: wasm routes a tied max-pool window's gradient to the last maximum,
    // cpu and ORT's MaxPool indices to the first, and MNIST's flat background ties often.
    const tf = await TfjsClassifier.load(`${MNIST}model.json`, { backend: 'cpu', log: () => undefined });
    reference = (await tf.vjp(x, seed)).data;
    tf.dispose();
  });

  it.each([1, 2])('equals tfjs gradients within 1e-4 relative (%i workers)', async (workers) => {
    const m = await OnnxClassifier.load(`${MNIST}model.onnx`, { workers });
    try {
      expect(m).toBeInstanceOf(DifferentiableOnnxClassifier);
      expect(isDifferentiable(m)).toBe(true);
      expect(capabilitiesOf(m)).toEqual(['logits', 'gradients']);
      expect(m.info.gradients).toBe('exact');
      if (!isDifferentiable(m)) return;
      expect(m.gradientKind).toBe('exact');
      const grad = await m.vjp(x, seed);
      expect(grad.shape).toEqual(x.shape);
      expect(relativeError(grad.data, reference)).toBeLessThan(1e-4);
      const both = await logitsAndGradient(m, x, () => seed);
      expect(both.grad.data).toEqual(grad.data);
      expect(both.logits.data).toEqual((await m.predict(x)).data);
      expect((await m.vjp(sliceBatch(x, 0, 0), { data: new Float32Array(0), shape: [0, 10] })).shape).toEqual([0, 28, 28, 1]);
    } finally {
      await m.close();
    }
  });

  it('shards a large batch over the workers with the same result as one session', async () => {
    const many = { data: new Float32Array(250 * 784), shape: [250, 28, 28, 1] };
    for (let i = 0; i < 250; i++) many.data.set(x.data.subarray((i % N) * 784, ((i % N) + 1) * 784), i * 784);
    const g = { data: pseudoRandom(2500, 9), shape: [250, 10] };
    const one = await OnnxClassifier.loadDifferentiable(`${MNIST}model.onnx`, { workers: 1 });
    const two = await OnnxClassifier.loadDifferentiable(`${MNIST}model.onnx`, { workers: 2 });
    try {
      const [a, b] = await Promise.all([one.vjp(many, g), two.vjp(many, g)]);
      expect(b.data).toEqual(a.data);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

const RESNET = new URL('../models/cifar10-resnet8/', import.meta.url).pathname;

describe('a generated graph for another architecture', () => {
  // ResNet-8 (strided convolutions, skip connections summed by Add, average pooling), where shipped.
  it.skipIf(!existsSync(`${RESNET}model.onnx`))('CIFAR-10 ResNet-8: gradients equal tfjs within 1e-4 relative', async () => {
    // One image: tfjs `cpu`, the oracle, takes seconds per ResNet gradient.
    const n = 1;
    const x = { data: pseudoRandom(n * 3072, 3).map((v) => (v + 1) / 2), shape: [n, 32, 32, 3] };
    const seed = { data: pseudoRandom(n * 10, 4), shape: [n, 10] };
    const tf = await TfjsClassifier.load(`${RESNET}model.json`, { backend: 'cpu', log: () => undefined });
    const reference = (await tf.vjp(x, seed)).data;
    tf.dispose();
    const m = await OnnxClassifier.loadDifferentiable(`${RESNET}model.onnx`, { workers: 1 });
    try {
      expect(relativeError((await m.vjp(x, seed)).data, reference)).toBeLessThan(1e-4);
    } finally {
      await m.close();
    }
  });
});

describe('OnnxClassifier gradients option', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('returns NCHW models\' gradients in the batch layout (NHWC)', async () => {
    const w = pseudoRandom(48 * 5, 11);
    const path = await writeModel(dir, 'nchw3.onnx', linearModel({ inputDims: ['batch', 3, 4, 4], classes: 5, weights: w }));
    const m = await OnnxClassifier.loadDifferentiable(path, { workers: 1 });
    try {
      const g = pseudoRandom(2 * 5, 4);
      const grad = await m.vjp({ data: pseudoRandom(2 * 48, 5), shape: [2, 4, 4, 3] }, { data: g, shape: [2, 5] });
      // The gradient of a linear model is W g, in the model's CHW order: transpose to HWC.
      for (let s = 0; s < 2; s++)
        for (let c = 0; c < 3; c++)
          for (let p = 0; p < 16; p++) {
            let want = 0;
            for (let k = 0; k < 5; k++) want += w[(c * 16 + p) * 5 + k]! * g[s * 5 + k]!;
            expect(grad.data[s * 48 + p * 3 + c]).toBeCloseTo(want, 5);
          }
    } finally {
      await m.close();
    }
  });

  it('pads the last call of a fixed-batch model', async () => {
    const w = pseudoRandom(784 * 10, 7);
    const path = await writeModel(dir, 'fixed.onnx', linearModel({ inputDims: [4, 28, 28, 1], classes: 10, weights: w }));
    const m = await OnnxClassifier.loadDifferentiable(path, { workers: 2 });
    try {
      const g = pseudoRandom(50, 8);
      const grad = await m.vjp({ data: pseudoRandom(5 * 784, 2), shape: [5, 28, 28, 1] }, { data: g, shape: [5, 10] });
      let want = 0;
      for (let k = 0; k < 10; k++) want += w[783 * 10 + k]! * g[40 + k]!;
      expect(grad.data[5 * 784 - 1]).toBeCloseTo(want, 5);
    } finally {
      await m.close();
    }
  });

  it("leaves a model with an unsupported operator logits-only under 'auto', refuses it under 'required'", async () => {
    const path = await writeModel(dir, 'floor.onnx', tinyModel([784], 10, (w, x) => w.op('Floor', [x])));
    const m = await OnnxClassifier.load(path, { workers: 1 });
    try {
      expect(isDifferentiable(m)).toBe(false);
      expect(m.info.gradients).toMatch(/operator 'Floor'/);
      expect((await m.predict({ data: new Float32Array(784), shape: [1, 784] })).shape).toEqual([1, 10]);
    } finally {
      await m.close();
    }
    await expect(OnnxClassifier.load(path, { workers: 1, gradients: 'required' })).rejects.toBeInstanceOf(UnsupportedOperatorError);
    await expect(OnnxClassifier.loadDifferentiable(path, { workers: 2 })).rejects.toThrow(/operator 'Floor' \(node '.+'\)/);
  });
});
