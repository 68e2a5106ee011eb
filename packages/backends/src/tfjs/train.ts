import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { argmaxRows, makeBatch, sampleSize, writeFileAtomic } from '@mixnsqueeze/core';
import { type Dataset } from '../data/dataset.ts';
import { shuffledIndices } from '../data/shuffle.ts';
import { Checkpoint, type EpochRecord, type RunConfig } from './checkpoint.ts';
import { fileModelIo } from './file-io.ts';
import { trainingPrg, withSeededMathRandom } from './seeded-random.ts';

/** Options of {@link trainModel}. */
export interface TrainOptions {
  /** Dataset name, recorded in the log and the checkpoint's configuration. */
  readonly dataset: string;
  /** Total epochs to train (a resumed run continues up to this number). */
  readonly epochs: number;
  /** Seed of initialisation, shuffling and augmentation. */
  readonly seed: number;
  /** Directory of the trained model, its log and its checkpoint. */
  readonly outDir: string;
  /** Samples per training step (default 128). */
  readonly batchSize?: number;
  /** Adam's initial learning rate; halved every `decayEvery` epochs. */
  readonly learningRate?: number;
  /** Halve the learning rate every this many epochs (default 0: constant). */
  readonly decayEvery?: number;
  /** Random translation of each training image by up to this many pixels (0: none). */
  readonly shift?: number;
  /** Name of the tfjs backend in use, for the log. */
  readonly backend?: string;
  /** Progress after each training batch: epoch, batches done and total, current loss. */
  readonly onBatch?: (epoch: number, done: number, total: number, loss: number) => void;
  /** Called after each epoch with its record; `resumed` is true for epochs restored from the checkpoint. */
  readonly onEpoch?: (record: EpochRecord, resumed: boolean) => void;
}

/** The JSON training log written next to the trained model. */
export interface TrainingLog {
  /** Dataset name. */
  readonly dataset: string;
  /** The run's configuration (dataset, seed, batch size, learning rate, decay, shift). */
  readonly config: RunConfig;
  /** Number of trainable and non-trainable parameters of the model. */
  readonly parameters: number;
  /** Training samples. */
  readonly trainSize: number;
  /** Test samples. */
  readonly testSize: number;
  /** One record per epoch. */
  readonly history: EpochRecord[];
  /** Final accuracy on the test set, in [0, 1]. */
  readonly testAccuracy: number;
}

/** Accuracy of a model on a dataset, batched. */
export async function accuracyOf(model: tf.LayersModel, data: Dataset, batchSize = 500): Promise<number> {
  const n = data.labels.length;
  const per = sampleSize(data.x.shape);
  let correct = 0;
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const logits = tf.tidy(() => model.predict(tf.tensor(data.x.data.subarray(i * per, (i + m) * per), [m, ...data.x.shape.slice(1)])) as tf.Tensor);
    const pred = argmaxRows(makeBatch((await logits.data()) as Float32Array, logits.shape));
    logits.dispose();
    for (let j = 0; j < m; j++) if (pred[j] === data.labels[i + j]) correct++;
  }
  return correct / Math.max(1, n);
}

/**
 * Copies the selected samples into `out`, each translated by a random offset in [-shift, shift]^2
 * (zero fill): cheap augmentation that makes up for MNIST's small embedded train split.
 */
function gatherBatch(data: Dataset, idx: Uint32Array, out: Float32Array, shift: number, u: Float64Array): void {
  const [, h, w, c] = data.x.shape as [number, number, number, number];
  const per = h * w * c;
  const src = data.x.data;
  for (let s = 0; s < idx.length; s++) {
    const base = idx[s]! * per;
    const o = s * per;
    if (shift === 0) {
      out.set(src.subarray(base, base + per), o);
      continue;
    }
    const dy = Math.floor(u[2 * s]! * (2 * shift + 1)) - shift;
    const dx = Math.floor(u[2 * s + 1]! * (2 * shift + 1)) - shift;
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        for (let ch = 0; ch < c; ch++) out[o + (y * w + x) * c + ch] = inside ? src[base + (sy * w + sx) * c + ch]! : 0;
      }
    }
  }
}

/**
 * Trains a classifier with Adam on softmax cross-entropy, reproducibly (shuffles, augmentation and
 * dropout masks come from keys derived from the seed and the epoch) and resumably: after every
 * epoch a checkpoint is saved under `outDir/checkpoint`, and a re-run with the same configuration
 * continues after the last complete epoch. Writes `outDir/model.json`, `weights.bin` and
 * `training-log.json`.
 */
export async function trainModel(model: tf.LayersModel, train: Dataset, test: Dataset, options: TrainOptions): Promise<TrainingLog> {
  const batchSize = options.batchSize ?? 128;
  const lr0 = options.learningRate ?? 1e-3;
  const decayEvery = options.decayEvery ?? 0;
  const shift = options.shift ?? 0;
  const config: RunConfig = { dataset: options.dataset, seed: options.seed, batchSize, learningRate: lr0, decayEvery, shift };
  const optimizer = tf.train.adam(lr0);
  const checkpoint = new Checkpoint(join(options.outDir, 'checkpoint'));
  const history = (await checkpoint.restore(model, optimizer, config)) ?? [];
  for (const r of history) options.onEpoch?.(r, true);

  const n = train.labels.length;
  const per = sampleSize(train.x.shape);
  const classes = model.outputs[0]!.shape[1]!;
  const xBuf = new Float32Array(batchSize * per);
  const steps = Math.ceil(n / batchSize);
  for (let epoch = history.length + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const lr = decayEvery > 0 ? lr0 * 0.5 ** Math.floor((epoch - 1) / decayEvery) : lr0;
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = shuffledIndices(n, trainingPrg(options.seed, `epoch=${epoch}`, 'order'));
    const shifts = new Float64Array(2 * n);
    trainingPrg(options.seed, `epoch=${epoch}`, 'shift').uniform(shifts);
    let lossSum = 0;
    let correct = 0;
    await withSeededMathRandom(trainingPrg(options.seed, `epoch=${epoch}`, 'dropout'), async () => {
      for (let step = 0; step < steps; step++) {
        const idx = order.subarray(step * batchSize, Math.min(n, (step + 1) * batchSize));
        const m = idx.length;
        gatherBatch(train, idx, xBuf, shift, shifts.subarray(2 * step * batchSize));
        const labels = new Int32Array(m);
        for (let i = 0; i < m; i++) labels[i] = train.labels[idx[i]!]!;
        let hits: tf.Tensor | undefined;
        const loss = tf.tidy(() => {
          const x = tf.tensor(xBuf.subarray(0, m * per), [m, ...train.x.shape.slice(1)]);
          const y = tf.tensor1d(labels, 'int32');
          return optimizer.minimize(() => {
            const logits = model.apply(x, { training: true }) as tf.Tensor;
            // Kept: minimize disposes everything its closure creates except the loss.
            hits = tf.keep(tf.equal(tf.argMax(logits, 1), y).sum());
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as tf.Scalar;
          }, true)!;
        });
        const l = (await loss.data())[0]!;
        correct += (await hits!.data())[0]!;
        tf.dispose([loss, hits!]);
        lossSum += l * m;
        options.onBatch?.(epoch, step + 1, steps, l);
      }
    });
    const record: EpochRecord = {
      epoch,
      loss: lossSum / n,
      trainAccuracy: correct / n,
      testAccuracy: await accuracyOf(model, test),
      learningRate: lr,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    history.push(record);
    await checkpoint.save(model, optimizer, config, history);
    options.onEpoch?.(record, false);
  }
  optimizer.dispose();
  await model.save(fileModelIo(join(options.outDir, 'model.json')));
  const log: TrainingLog = {
    dataset: options.dataset,
    config: { ...config, epochs: history.length, optimizer: 'adam', ...(options.backend ? { backend: options.backend } : {}) },
    parameters: model.countParams(),
    trainSize: n,
    testSize: test.labels.length,
    history,
    testAccuracy: history[history.length - 1]?.testAccuracy ?? (await accuracyOf(model, test)),
  };
  await writeFileAtomic(join(options.outDir, 'training-log.json'), `${JSON.stringify(log, null, 2)}\n`);
  return log;
}
