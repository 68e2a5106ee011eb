import * as tf from '@tensorflow/tfjs';

/** Options of the Carlini CNN; the defaults are the MNIST model of reference.md section 5. */
export interface MnistCnnOptions {
  /** Input height in pixels (default 28). */
  readonly height?: number;
  /** Input width in pixels (default 28). */
  readonly width?: number;
  /** Input channels (default 1). */
  readonly channels?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
  /** Seed of the Glorot-uniform kernel initialisers (layer i uses seed + i), for reproducible training. */
  readonly seed?: number;
}

/**
 * Carlini & Wagner's MNIST CNN: inputs in [0, 1] shifted by -0.5 inside the model (a Rescaling
 * layer), conv32 3x3 relu, conv32 3x3 relu, maxpool 2, conv64 3x3 relu, conv64 3x3 relu, maxpool 2,
 * flatten, dense200 relu, dropout 0.5 (training only), dense200 relu, dense10 (logits). Valid
 * padding. 312,202 parameters at 28x28x1. Layer names are fixed: the ONNX exporter and the weight
 * files rely on them.
 */
export function mnistCnn(options: MnistCnnOptions = {}): tf.Sequential {
  const { height = 28, width = 28, channels = 1, classes = 10, seed } = options;
  let next = 0;
  const init = (): { kernelInitializer?: ReturnType<typeof tf.initializers.glorotUniform> } =>
    seed === undefined ? {} : { kernelInitializer: tf.initializers.glorotUniform({ seed: seed + next++ }) };
  return tf.sequential({
    name: 'mnist_cnn',
    layers: [
      tf.layers.rescaling({ name: 'shift', inputShape: [height, width, channels], scale: 1, offset: -0.5 }),
      tf.layers.conv2d({ name: 'conv1', filters: 32, kernelSize: 3, activation: 'relu', ...init() }),
      tf.layers.conv2d({ name: 'conv2', filters: 32, kernelSize: 3, activation: 'relu', ...init() }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv3', filters: 64, kernelSize: 3, activation: 'relu', ...init() }),
      tf.layers.conv2d({ name: 'conv4', filters: 64, kernelSize: 3, activation: 'relu', ...init() }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense1', units: 200, activation: 'relu', ...init() }),
      // Unseeded on purpose: a seeded tfjs dropout draws the same mask at every step.
      tf.layers.dropout({ name: 'dropout', rate: 0.5 }),
      tf.layers.dense({ name: 'dense2', units: 200, activation: 'relu', ...init() }),
      tf.layers.dense({ name: 'logits', units: classes, ...init() }),
    ],
  });
}
