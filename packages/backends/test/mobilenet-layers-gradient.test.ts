import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, isDifferentiable } from '@mixnsqueeze/core';
import { exportModelJsonToOnnx } from '../src/onnx/export-tfjs.ts';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';
import { TfjsClassifier } from '../src/tfjs/tfjs-classifier.ts';
import { pseudoRandom, tempDir } from './onnx-fixtures.ts';

/**
 * The layers of MobileNet v1 (input affine x * 2 - 1, convolutions and depthwise convolutions with
 * ReLU6, TF 'same' padding at stride 2 on odd and even sizes, which pads one more pixel at the
 * bottom and right, average pooling, a 1x1 convolution as the classifier) on a small random graph:
 * the ONNX export's logits and gradient graph, and the tfjs wasm backend's depthwise gradient,
 * against tfjs `cpu` (whose average-pool gradient is ours: tfjs's own divides windows that overlap
 * the padding by the full window size, not by the pixels they average, as its forward pass does). Tolerance 1e-5 relative to the largest value: float32 sums in another order
 * (each layer alone measured about 1e-7); a ReLU6 mask flipped by rounding would show as an error near 1e-1.
 */
const TOLERANCE = 1e-5;
const CLASSES = 5;
const N = 3;
const SHAPE = [13, 12, 3] as const;
const quiet = (): void => {};
let dir: string;
let cleanup: () => Promise<void>;
let modelJson: string;
let x: Batch;
let seed: Batch;

/** max |a - b| / max(1, max |b|). */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

/** Weights large enough that ReLU6 meets both of its kinks (below 0 and above 6) in every layer. */
function mobileNetLike(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.randomUniform({ minval: -1.5, maxval: 1.5, seed });
  const bias = (seed: number) => tf.initializers.randomUniform({ minval: -1, maxval: 2, seed });
  return tf.sequential({
    layers: [
      tf.layers.rescaling({ inputShape: [...SHAPE], scale: 2, offset: -1, name: 'input_affine' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6', kernelInitializer: init(1), biasInitializer: bias(2) }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6', depthwiseInitializer: init(3), biasInitializer: bias(4) }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'same', activation: 'relu6', depthwiseInitializer: init(5), biasInitializer: bias(6) }),
      tf.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu6', kernelInitializer: init(7), biasInitializer: bias(8) }),
      tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }),
      tf.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }),
      tf.layers.conv2d({ filters: CLASSES, kernelSize: 1, kernelInitializer: init(9), biasInitializer: bias(10) }),
      tf.layers.flatten(),
    ],
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await useTfjsBackend('cpu', quiet);
  const model = mobileNetLike();
  // 13 x 12 -> 7 x 6 -> 4 x 3 -> 2 x 2 -> 1 x 1: every stride-2 'same' layer meets an odd or even size.
  expect(model.outputs[0]!.shape).toEqual([null, CLASSES]);
  modelJson = join(dir, 'mobilenet-like', 'model.json');
  await model.save(fileModelIo(modelJson));
  model.dispose();
  await exportModelJsonToOnnx(modelJson, join(dir, 'model.onnx'));
  const size = N * SHAPE[0] * SHAPE[1] * SHAPE[2];
  x = { data: pseudoRandom(size, 11).map((v) => (v + 1) / 2), shape: [N, ...SHAPE] };
  seed = { data: pseudoRandom(N * CLASSES, 12), shape: [N, CLASSES] };
});
afterAll(() => cleanup());

async function tfjsResult(backend: 'cpu' | 'wasm'): Promise<{ logits: Float32Array; grad: Float32Array }> {
  const m = await TfjsClassifier.load(modelJson, { backend, log: quiet });
  try {
    return { logits: (await m.predict(x)).data, grad: (await m.vjp(x, seed)).data };
  } finally {
    m.dispose();
  }
}

describe('MobileNet layers: depthwise convolution, ReLU6, average pooling, TF same padding at stride 2', () => {
  it('ONNX export and gradient graph equal tfjs cpu', async () => {
    const cpu = await tfjsResult('cpu');
    // The ReLU6 kinks are met: some activations clip at 0 and some at 6, so masks matter.
    expect(cpu.grad.some((v) => v !== 0)).toBe(true);
    const onnx = await OnnxClassifier.load(join(dir, 'model.onnx'), { workers: 1 });
    try {
      expect(isDifferentiable(onnx)).toBe(true);
      if (!isDifferentiable(onnx)) return;
      expect(onnx.info.gradients).toBe('exact');
      expect(relativeError((await onnx.predict(x)).data, cpu.logits)).toBeLessThan(TOLERANCE);
      expect(relativeError((await onnx.vjp(x, seed)).data, cpu.grad)).toBeLessThan(TOLERANCE);
    } finally {
      await onnx.close();
    }
  });

  it('tfjs wasm (its depthwise input gradient is ours) equals tfjs cpu', async () => {
    const cpu = await tfjsResult('cpu');
    const wasm = await tfjsResult('wasm');
    expect(relativeError(wasm.logits, cpu.logits)).toBeLessThan(TOLERANCE);
    expect(relativeError(wasm.grad, cpu.grad)).toBeLessThan(TOLERANCE);
  });

  it.each(['cpu', 'wasm'] as const)("tfjs %s: the average-pool gradient is that of the pool's own forward pass (same padding)", async (backend) => {
    await useTfjsBackend(backend, quiet);
    const [ours, viaConv] = tf.tidy(() => {
      const input = tf.tensor(pseudoRandom(2 * 7 * 6 * 3, 13), [2, 7, 6, 3]) as tf.Tensor4D;
      const dy = tf.tensor(pseudoRandom(2 * 4 * 3 * 3, 14), [2, 4, 3, 3]);
      // The same map as a depthwise convolution with a kernel of ones, divided by the in-image count.
      const counts = tf.depthwiseConv2d(tf.onesLike(input), tf.ones([2, 2, 3, 1]) as tf.Tensor4D, 2, 'same');
      const pool = (v: tf.Tensor) => tf.avgPool(v as tf.Tensor4D, 2, 2, 'same');
      const conv = (v: tf.Tensor) => tf.div(tf.depthwiseConv2d(v as tf.Tensor4D, tf.ones([2, 2, 3, 1]) as tf.Tensor4D, 2, 'same'), counts);
      expect(relativeError(pool(input).dataSync() as Float32Array, conv(input).dataSync() as Float32Array)).toBeLessThan(TOLERANCE);
      return [pool, conv].map((f) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy)))(input).dataSync() as Float32Array);
    });
    expect(relativeError(ours!, viaConv!)).toBeLessThan(TOLERANCE);
  });

  it('the ReLU6 of the test graph saturates at both ends', async () => {
    await useTfjsBackend('cpu', quiet);
    const model = await tf.loadLayersModel(fileModelIo(modelJson));
    const probe = tf.model({ inputs: model.inputs, outputs: model.layers[1]!.output as tf.SymbolicTensor });
    const act = tf.tidy(() => (probe.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync());
    expect(act.some((v) => v === 0)).toBe(true);
    expect(act.some((v) => v === 6)).toBe(true);
    expect(act.some((v) => v > 0 && v < 6)).toBe(true);
    model.dispose();
  });
});
