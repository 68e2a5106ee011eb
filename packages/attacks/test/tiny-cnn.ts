import * as tf from '@tensorflow/tfjs';
import { type Batch } from '@mixnsqueeze/core';
import { TfjsClassifier, loadMnist, useTfjsBackend } from '@mixnsqueeze/backends';

/**
 * A tiny untrained CNN on 28x28x1 inputs (conv 4 filters 5x5 stride 3, relu, dense 10; seeded
 * Glorot init) as a TfjsClassifier on the tfjs `cpu` backend, and the first n test digits of the
 * embedded MNIST set. Untrained on purpose: the table test labels inputs with the model's own
 * predictions, so what it checks is the attacks' mechanics on a real autodiff backend, in
 * milliseconds per call.
 */
export async function tinyCnn(n: number): Promise<{ model: TfjsClassifier; x: Batch }> {
  await useTfjsBackend('cpu', () => undefined);
  const net = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const digits = loadMnist('test');
  const per = 28 * 28;
  return { model: new TfjsClassifier(net), x: { data: digits.x.data.slice(0, n * per), shape: [n, 28, 28, 1] } };
}
