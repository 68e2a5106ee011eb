import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { ParameterError, argmaxRows, makeBatch, sampleSize, writeFileAtomic } from '@mixnsqueeze/core';
import { type Dataset } from '../data/dataset.ts';
import { shuffledIndices } from '../data/shuffle.ts';
import { Checkpoint, type EpochPosition, type EpochRecord, type RunConfig } from './checkpoint.ts';
import { fileModelIo } from './file-io.ts';
import { type OptimizerSpec, createOptimizer, lastLearningRate, optimizerConfig, startEpoch } from './optimizer-spec.ts';
import { trainingPrg, withSeededMathRandom } from './seeded-random.ts';

export { type AdamSpec, type OptimizerSpec, type SgdSpec, createOptimizer } from './optimizer-spec.ts';
export { type KerasSgdConfig, KerasSgdOptimizer } from './keras-sgd.ts';

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
  /** The optimizer (default: Adam, learning rate 1e-3, constant). */
  readonly optimizer?: OptimizerSpec;
  /** Random translation of each training image by up to this many pixels (0: none). */
  readonly shift?: number;
  /** Held-out samples whose accuracy is reported after each epoch (never trained on). */
  readonly validation?: Dataset;
  /** Also checkpoint inside an epoch once this many minutes have passed since the last save (default 5; 0: every step). */
  readonly checkpointMinutes?: number;
  /** Name of the tfjs backend in use, for the log. */
  readonly backend?: string;
  /** Progress after each training batch: epoch, batches done and total, current loss. */
  readonly onBatch?: (epoch: number, done: number, total: number, loss: number) => void;
  /** Called after each epoch with its record; `resumed` is true for epochs restored from the checkpoint. */
  readonly onEpoch?: (record: EpochRecord, resumed: boolean) => void;
  /** Called after a checkpoint inside an epoch (and once when a run resumes inside one). */
  readonly onCheckpoint?: (position: EpochPosition, steps: number, resumed: boolean) => void;
}

/** The JSON training log written next to the trained model. */
export interface TrainingLog {
  /** Dataset name. */
  readonly dataset: string;
  /** The run's configuration (dataset, seed, batch size, optimizer, shift, sizes). */
  readonly config: RunConfig;
  /** Number of trainable and non-trainable parameters of the model. */
  readonly parameters: number;
  /** Training samples. */
  readonly trainSize: number;
  /** Held-out validation samples (0: none). */
  readonly validationSize: number;
  /** Test samples. */
  readonly testSize: number;
  /** One record per epoch. */
  readonly history: EpochRecord[];
  /** Final accuracy on the test set, in [0, 1]. */
  readonly testAccuracy: number;
  /** Final accuracy on the validation samples, in [0, 1] (absent without them). */
  readonly validationAccuracy?: number;
}

/**
 * Splits off the first `k` samples as a validation set, the way Carlini's setup_mnist.py holds out
 * the first 5,000 of MNIST's 60,000 training digits (VALIDATION_SIZE) and trains on the other 55,000.
 * The two parts are views of the dataset's arrays, not copies.
 */
export function holdOut(data: Dataset, k: number): { train: Dataset; validation: Dataset } {
  const n = data.labels.length;
  if (!Number.isInteger(k) || k < 0 || k >= n) throw new ParameterError(`holdOut: expected 0 <= k < ${n} held-out samples, got ${k}.`);
  const per = sampleSize(data.x.shape);
  const part = (from: number, to: number): Dataset => ({
    ...data,
    x: makeBatch(data.x.data.subarray(from * per, to * per), [to - from, ...data.x.shape.slice(1)]),
    labels: data.labels.subarray(from, to),
  });
  return { validation: part(0, k), train: part(k, n) };
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
 * (zero fill) when `shift` > 0: cheap augmentation for small training sets.
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

/** One step's training-batch statistics. */
interface StepResult {
  readonly loss: number;
  readonly hits: number;
}

/** One optimizer step on softmax cross-entropy of the logits (the mean over the batch). */
async function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, vars: tf.Variable[], x: tf.Tensor, labels: Int32Array, classes: number): Promise<StepResult> {
  let hits: tf.Tensor | undefined;
  const loss = tf.tidy(() => {
    const y = tf.tensor1d(labels, 'int32');
    return optimizer.minimize(
      () => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        // Kept: minimize disposes everything its closure creates except the loss.
        hits = tf.keep(tf.equal(tf.argMax(logits, 1), y).sum());
        return tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as tf.Scalar;
      },
      true,
      vars,
    )!;
  });
  const l = (await loss.data())[0]!;
  const h = (await hits!.data())[0]!;
  tf.dispose([loss, hits!]);
  return { loss: l, hits: h };
}

/**
 * Trains a classifier on softmax cross-entropy of its logits (mean over the batch), with Adam or
 * Keras' SGD ({@link OptimizerSpec}), reproducibly and resumably.
 *
 * Reproducible: the epoch's shuffle, augmentation and dropout masks come from keys derived from the
 * seed and the epoch (tfjs draws each unseeded dropout mask's seed from Math.random, which is a
 * keyed generator during the epoch's steps), so the same call on the same backend gives the same
 * weights bit for bit.
 *
 * Resumable: a checkpoint under `outDir/checkpoint` is saved after every epoch and, inside an epoch,
 * whenever `checkpointMinutes` have passed since the last save: model weights, optimizer state
 * (iteration count and slots), the completed epochs, and the position in the epoch in progress
 * (step, draws from the dropout generator, running loss and accuracy sums). A re-run with the same
 * configuration continues from there and ends with the same weights as an uninterrupted run.
 * Writes `outDir/model.json`, `weights.bin` and `training-log.json`.
 */
export async function trainModel(model: tf.LayersModel, train: Dataset, test: Dataset, options: TrainOptions): Promise<TrainingLog> {
  const batchSize = options.batchSize ?? 128;
  const spec: OptimizerSpec = options.optimizer ?? { kind: 'adam', learningRate: 1e-3, halveEvery: 0 };
  const shift = options.shift ?? 0;
  const validation = options.validation;
  const n = train.labels.length;
  const config: RunConfig = {
    dataset: options.dataset,
    seed: options.seed,
    batchSize,
    ...optimizerConfig(spec),
    shift,
    trainSize: n,
    validationSize: validation?.labels.length ?? 0,
  };
  const optimizer = createOptimizer(spec);
  const checkpoint = new Checkpoint(join(options.outDir, 'checkpoint'));
  const restored = await checkpoint.restore(model, optimizer, config);
  const history = restored?.history ?? [];
  let position = restored?.position;
  if (position && position.epoch > options.epochs) {
    throw new ParameterError(`the checkpoint in '${checkpoint.dir}' stopped inside epoch ${position.epoch}; train to at least that epoch (--epochs ${position.epoch}).`);
  }
  for (const r of history) options.onEpoch?.(r, true);

  const per = sampleSize(train.x.shape);
  const classes = model.outputs[0]!.shape[1]!;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const xBuf = new Float32Array(batchSize * per);
  const labels = new Int32Array(batchSize);
  const steps = Math.ceil(n / batchSize);
  const every = (options.checkpointMinutes ?? 5) * 60_000;
  const realRandom = Math.random;
  for (let epoch = history.length + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const at = position?.epoch === epoch ? position : undefined;
    position = undefined;
    startEpoch(optimizer, spec, epoch);
    const order = shuffledIndices(n, trainingPrg(options.seed, `epoch=${epoch}`, 'order'));
    const shifts = new Float64Array(2 * n);
    trainingPrg(options.seed, `epoch=${epoch}`, 'shift').uniform(shifts);
    let lossSum = at?.lossSum ?? 0;
    let correct = at?.correct ?? 0;
    let draws = at?.draws ?? 0;
    let trainMs = (at?.trainSeconds ?? 0) * 1000;
    if (at) options.onCheckpoint?.(at, steps, true);
    await withSeededMathRandom(trainingPrg(options.seed, `epoch=${epoch}`, 'dropout'), async () => {
      const seeded = Math.random;
      // Replays the generator to where the checkpoint stopped, then counts what the steps draw.
      for (let i = 0; i < draws; i++) seeded();
      const counted = (): number => {
        draws++;
        return seeded();
      };
      Math.random = counted;
      try {
        let lastSave = performance.now();
        for (let step = at?.step ?? 0; step < steps; step++) {
          const t0 = performance.now();
          const idx = order.subarray(step * batchSize, Math.min(n, (step + 1) * batchSize));
          const m = idx.length;
          gatherBatch(train, idx, xBuf, shift, shifts.subarray(2 * step * batchSize));
          for (let i = 0; i < m; i++) labels[i] = train.labels[idx[i]!]!;
          const x = tf.tensor(xBuf.subarray(0, m * per), [m, ...train.x.shape.slice(1)]);
          const r = await trainStep(model, optimizer, vars, x, labels.subarray(0, m), classes);
          x.dispose();
          lossSum += r.loss * m;
          correct += r.hits;
          const now = performance.now();
          trainMs += now - t0;
          options.onBatch?.(epoch, step + 1, steps, r.loss);
          if (step + 1 < steps && now - lastSave >= every) {
            const pos: EpochPosition = { epoch, step: step + 1, draws, lossSum, correct, trainSeconds: trainMs / 1000 };
            // Saving must not consume the seeded stream (a resumed run does not save here).
            Math.random = realRandom;
            await checkpoint.save(model, optimizer, config, history, pos);
            Math.random = counted;
            lastSave = performance.now();
            options.onCheckpoint?.(pos, steps, false);
          }
        }
      } finally {
        Math.random = seeded;
      }
    });
    const validationAccuracy = validation ? await accuracyOf(model, validation) : undefined;
    const record: EpochRecord = {
      epoch,
      loss: lossSum / n,
      trainAccuracy: correct / n,
      ...(validationAccuracy === undefined ? {} : { validationAccuracy }),
      testAccuracy: await accuracyOf(model, test),
      learningRate: lastLearningRate(optimizer, spec),
      imagesPerSecond: Math.round((n / Math.max(1e-3, trainMs / 1000)) * 10) / 10,
      seconds: Math.round(((at?.trainSeconds ?? 0) * 1000 + performance.now() - started) / 100) / 10,
    };
    history.push(record);
    await checkpoint.save(model, optimizer, config, history);
    options.onEpoch?.(record, false);
  }
  optimizer.dispose();
  await model.save(fileModelIo(join(options.outDir, 'model.json')));
  const last = history[history.length - 1];
  const log: TrainingLog = {
    dataset: options.dataset,
    config: { ...config, epochs: history.length, ...(options.backend ? { backend: options.backend } : {}) },
    parameters: model.countParams(),
    trainSize: n,
    validationSize: validation?.labels.length ?? 0,
    testSize: test.labels.length,
    history,
    testAccuracy: last?.testAccuracy ?? (await accuracyOf(model, test)),
    ...(validation ? { validationAccuracy: last?.validationAccuracy ?? (await accuracyOf(model, validation)) } : {}),
  };
  await writeFileAtomic(join(options.outDir, 'training-log.json'), `${JSON.stringify(log, null, 2)}\n`);
  return log;
}
