import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { spaceToJson } from '@mixnsqueeze/core';
import { type Dataset } from '../data/dataset.ts';
import { type DomainDatasetId, loadDomainDataset } from '../data/domain-datasets.ts';
import { exportModelJsonToOnnx } from '../onnx/export-tfjs.ts';
import { type TfjsBackendName, useTfjsBackend } from '../tfjs/backend.ts';
import { fileModelIo } from '../tfjs/file-io.ts';
import { trainingPrg } from '../tfjs/seeded-random.ts';
import { accuracyOf } from '../tfjs/train.ts';
import { shuffledIndices } from '../data/shuffle.ts';

/** How a domain model is trained: Adam, fixed epochs, seeded initialisation and batch order. */
interface DomainRecipe {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Also write model.onnx (the tfjs -> ONNX exporter) beside model.json. */
  readonly onnx: boolean;
}

const DOMAIN_RECIPES: Record<DomainDatasetId, DomainRecipe> = {
  penguins: { epochs: 150, batchSize: 32, learningRate: 0.01, seed: 1, onnx: true },
  waveforms: { epochs: 12, batchSize: 64, learningRate: 0.01, seed: 1, onnx: false },
};

/**
 * The zoo's non-image models: penguins, a dense network the ONNX exporter translates, 9 -> 16 relu
 * -> 3 logits (211 parameters); waveforms, a 1-D CNN (shapes appear at any phase and frequency, which
 * a dense layer learns poorly): conv 8x5 relu, max-pool 2, conv 16x5 relu, global average pool,
 * dense 4 logits (772 parameters).
 */
export function domainModel(id: DomainDatasetId, seed: number): tf.Sequential {
  let next = 0;
  const init = () => ({ kernelInitializer: tf.initializers.glorotUniform({ seed: seed + next++ }) });
  if (id === 'penguins') {
    return tf.sequential({
      name: 'penguins_mlp',
      layers: [
        tf.layers.dense({ name: 'dense1', inputShape: [9], units: 16, activation: 'relu', ...init() }),
        tf.layers.dense({ name: 'logits', units: 3, ...init() }),
      ],
    });
  }
  return tf.sequential({
    name: 'waveforms_cnn',
    layers: [
      tf.layers.conv1d({ name: 'conv1', inputShape: [64, 1], filters: 8, kernelSize: 5, activation: 'relu', ...init() }),
      tf.layers.maxPooling1d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv1d({ name: 'conv2', filters: 16, kernelSize: 5, activation: 'relu', ...init() }),
      tf.layers.globalAveragePooling1d({ name: 'pool2' }),
      tf.layers.dense({ name: 'logits', units: 4, ...init() }),
    ],
  });
}

/** The JSON training log of a domain model (training-log.json). */
export interface DomainTrainingLog {
  /** The dataset it was trained on. */
  readonly dataset: DomainDatasetId;
  /** The recipe used. */
  readonly recipe: DomainRecipe;
  /** Number of parameters of the model. */
  readonly parameters: number;
  /** Training samples. */
  readonly trainSize: number;
  /** Test samples. */
  readonly testSize: number;
  /** Final accuracy on the training split, in [0, 1]. */
  readonly trainAccuracy: number;
  /** Final accuracy on the test split, in [0, 1]. */
  readonly testAccuracy: number;
  /** Name of the tfjs backend it was trained on. */
  readonly backend: string;
}

/**
 * Trains a domain model with its recipe and writes model.json (its feature space, with the schema,
 * in the metadata), weights.bin, training-log.json and, for tabular models, model.onnx to outDir.
 */
export async function trainDomainModel(id: DomainDatasetId, outDir: string, backend?: TfjsBackendName): Promise<DomainTrainingLog> {
  const recipe = DOMAIN_RECIPES[id];
  const used = await useTfjsBackend(backend, () => {});
  const train = await loadDomainDataset(id, 'train');
  const test = await loadDomainDataset(id, 'test');
  const model = domainModel(id, recipe.seed);
  model.setUserDefinedMetadata({ mixnsqueeze: { dataset: id, classNames: train.classNames, bounds: train.space.bounds, space: spaceToJson(train.space) } });
  try {
    await fit(model, train, recipe);
    await model.save(fileModelIo(join(outDir, 'model.json')));
    if (recipe.onnx) await exportModelJsonToOnnx(join(outDir, 'model.json'), join(outDir, 'model.onnx'));
    const log: DomainTrainingLog = {
      dataset: id,
      recipe,
      parameters: model.countParams(),
      trainSize: train.labels.length,
      testSize: test.labels.length,
      trainAccuracy: await accuracyOf(model, train),
      testAccuracy: await accuracyOf(model, test),
      backend: used,
    };
    await writeFile(join(outDir, 'training-log.json'), `${JSON.stringify(log, null, 2)}\n`);
    return log;
  } finally {
    model.dispose();
  }
}

async function fit(model: tf.Sequential, train: Dataset, recipe: DomainRecipe): Promise<void> {
  const optimizer = tf.train.adam(recipe.learningRate);
  const n = train.labels.length;
  const per = train.x.data.length / n;
  const classes = model.outputs[0]!.shape[1]!;
  const xb = new Float32Array(recipe.batchSize * per);
  const yb = new Int32Array(recipe.batchSize);
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    const order = shuffledIndices(n, trainingPrg(recipe.seed, `epoch=${epoch}`, 'order'));
    for (let start = 0; start < n; start += recipe.batchSize) {
      const m = Math.min(recipe.batchSize, n - start);
      for (let s = 0; s < m; s++) {
        const k = order[start + s]!;
        xb.set(train.x.data.subarray(k * per, (k + 1) * per), s * per);
        yb[s] = train.labels[k]!;
      }
      tf.tidy(() => {
        const x = tf.tensor(xb.subarray(0, m * per), [m, ...train.x.shape.slice(1)]);
        const y = tf.oneHot(tf.tensor1d(yb.subarray(0, m), 'int32'), classes);
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      });
    }
  }
  optimizer.dispose();
}
