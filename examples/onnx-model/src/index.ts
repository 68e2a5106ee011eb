/**
 * Example: any ONNX image classifier, defended with Mix'n'Squeeze (uniform noise 0.5, then a 2x2
 * median: the paper's MNIST operating point) and evaluated on a built-in dataset, with and without
 * the defense. The model may be NHWC or NCHW, with a fixed or dynamic batch axis; OnnxClassifier
 * works that out from the file.
 */
import { fileURLToPath } from 'node:url';
import { type Batch, type Classifier, argmaxRows, sliceBatch } from '@mixnsqueeze/core';
import { type DatasetId, OnnxClassifier, loadBuiltinDataset } from '@mixnsqueeze/backends';
import { Median, UniformNoise, defend } from '@mixnsqueeze/squeezers';

/** The shipped MNIST CNN, exported to ONNX (packages/backends/models/mnist/model.onnx). */
export const SHIPPED_MNIST_ONNX = fileURLToPath(new URL('../../../packages/backends/models/mnist/model.onnx', import.meta.url));

export interface EvaluateOptions {
  /** Built-in dataset whose test split is used (default 'mnist'). */
  readonly dataset?: DatasetId;
  /** Test samples evaluated (default 1,000). */
  readonly samples?: number;
  /** Worker threads of the ONNX classifier (default: one per core). */
  readonly workers?: number;
}

export interface Evaluation {
  readonly model: string;
  readonly samples: number;
  readonly layout: string;
  /** Clean accuracy of the bare model and of the defended one (one fresh random draw per input). */
  readonly accuracy: { readonly plain: number; readonly defended: number };
}

async function accuracy(c: Classifier, x: Batch, labels: Int32Array): Promise<number> {
  const predicted = argmaxRows(await c.predict(x));
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

export async function evaluateOnnx(path: string = SHIPPED_MNIST_ONNX, options: EvaluateOptions = {}): Promise<Evaluation> {
  const data = await loadBuiltinDataset(options.dataset ?? 'mnist');
  const n = Math.min(options.samples ?? 1000, data.labels.length);
  const model = await OnnxClassifier.load(path, { space: data.space, ...(options.workers ? { workers: options.workers } : {}) });
  try {
    const x = sliceBatch(data.x, 0, n);
    const labels = data.labels.subarray(0, n);
    const defended = defend(model, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)] });
    return {
      model: path,
      samples: n,
      layout: model.info.layout,
      accuracy: { plain: await accuracy(model, x, labels), defended: await accuracy(defended, x, labels) },
    };
  } finally {
    await model.close();
  }
}
