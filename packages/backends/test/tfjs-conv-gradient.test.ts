import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTfjsBackend } from '../src/tfjs/backend.ts';

/**
 * The wasm backend's Conv2D gradients (forward convolutions, conv-gradient.ts) against tfjs-cpu's
 * own kernels. Tolerance: max |wasm - cpu| <= 1e-5 * max(1, max |cpu|); measured about 3e-7.
 * Whole-model gradients use continuous random inputs (no max-pool ties, which wasm and cpu route
 * differently).
 */
const TOLERANCE = 1e-5;
const quiet = (): void => {};

function maxAbsDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { diff, scale };
}

async function onBackend<T>(name: 'wasm' | 'cpu', fn: () => Promise<T>): Promise<T> {
  await useTfjsBackend(name, quiet);
  return fn();
}

type Case = { x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: 'valid' | 'same' | number };

const CASES: Case[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid' },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 10, 11, 3], f: [3, 2, 3, 4], s: 2, pad: 'same' },
  { x: [2, 10, 11, 3], f: [3, 3, 3, 5], s: [2, 3], pad: 'valid' },
  { x: [1, 8, 8, 2], f: [4, 4, 2, 3], s: 2, pad: 'same' },
  { x: [2, 7, 7, 2], f: [3, 3, 2, 2], s: 1, pad: 1 },
];

async function convGrads(c: Case): Promise<Float32Array[]> {
  return tf.tidy(() => {
    const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomUniform(c.f, -1, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, f, c.s, c.pad);
    const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 3);
    const g = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), dy)))([x, f]);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await useTfjsBackend('wasm', quiet);
});

describe('wasm Conv2D gradients from forward convolutions', () => {
  it.each(CASES)('match tfjs-cpu for x $x, filter $f, stride $s, pad $pad', async (c) => {
    const wasm = await onBackend('wasm', () => convGrads(c));
    const cpu = await onBackend('cpu', () => convGrads(c));
    for (let k = 0; k < 2; k++) {
      const { diff, scale } = maxAbsDiff(wasm[k]!, cpu[k]!);
      expect(diff).toBeLessThanOrEqual(TOLERANCE * scale);
    }
  });

  it('give the same whole-model input and weight gradients as tfjs-cpu (conv, relu, max-pool, dense)', async () => {
    const run = () =>
      tf.tidy(() => {
        const model = tf.sequential({
          layers: [
            tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.conv2d({ filters: 3, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }),
          ],
        });
        const x = tf.randomUniform([3, 10, 10, 1], 0, 1, 'float32', 9);
        const weights = model.trainableWeights.map((w) => w.read());
        const loss = (...args: tf.Tensor[]) => {
          const logits = model.apply(args[0]!) as tf.Tensor;
          return tf.sum(tf.mul(logits, tf.linspace(-1, 1, 5)));
        };
        const grads = tf.grads(loss)([x, ...weights]);
        const out = grads.map((g) => g.dataSync() as Float32Array);
        model.dispose();
        return out;
      });
    const wasm = await onBackend('wasm', async () => run());
    const cpu = await onBackend('cpu', async () => run());
    expect(wasm).toHaveLength(cpu.length);
    for (let k = 0; k < cpu.length; k++) {
      const { diff, scale } = maxAbsDiff(wasm[k]!, cpu[k]!);
      expect(diff).toBeLessThanOrEqual(TOLERANCE * scale);
    }
  });
});
