import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argmaxRows, makeBatch, sliceBatch } from '@mixnsqueeze/core';
import { loadMnist } from '../src/data/mnist.ts';
import { exportLayersToOnnx, exportModelJsonToOnnx } from '../src/onnx/export-tfjs.ts';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { UnsupportedLayerError } from '../src/onnx/unsupported-layer-error.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';
import { mnistCnn } from '../src/tfjs/mnist-cnn.ts';
import { TfjsClassifier } from '../src/tfjs/tfjs-classifier.ts';
import { maxAbsDiff, pseudoRandom, tempDir, writeModel } from './onnx-fixtures.ts';

const MODELS = fileURLToPath(new URL('../models/', import.meta.url));
const quiet = () => undefined;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts!;
}

/** Logits of the exported model (one in-process ORT session) next to tfjs's on the same batch. */
async function compare(model: tf.LayersModel, onnx: Uint8Array, data: Float32Array, shape: number[]) {
  const path = await writeModel(dir, `m${Math.random().toString(36).slice(2)}.onnx`, onnx);
  const ort = await OnnxClassifier.load(path, { workers: 1 });
  try {
    const x = makeBatch(data, shape);
    const ours = await ort.predict(x);
    const ref = tf.tidy(() => (model.predict(tf.tensor(data, shape)) as tf.Tensor).dataSync() as Float32Array);
    return { diff: maxAbsDiff(ours.data, ref), ours: ours.data, ref };
  } finally {
    await ort.close();
  }
}

describe('tfjs -> ONNX export', () => {
  it('matches tfjs (cpu) on the MNIST CNN with random weights, on real digits', async () => {
    await useTfjsBackend('cpu', quiet);
    const model = mnistCnn({ seed: 3 });
    const digits = sliceBatch(loadMnist('test').x, 0, 32);
    const { diff } = await compare(model, exportLayersToOnnx(await artifactsOf(model)), digits.data, [...digits.shape]);
    expect(diff).toBeLessThan(1e-5);
    model.dispose();
  });

  it('translates same padding, strides, softmax and layouts of every kind of output', async () => {
    await useTfjsBackend('cpu', quiet);
    const image = () => tf.layers.conv2d({ inputShape: [9, 7, 3], filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same', useBias: false });
    const models = [
      // image output: the exported graph must end in NHWC
      tf.sequential({ layers: [image(), tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' })] }),
      // flattened output: CHW order must be turned back to HWC
      tf.sequential({ layers: [image(), tf.layers.flatten()] }),
      // flatten -> dense with softmax, an Activation layer, a Rescaling with scale
      tf.sequential({
        layers: [
          tf.layers.rescaling({ inputShape: [9, 7, 3], scale: 2, offset: -1 }),
          tf.layers.conv2d({ filters: 5, kernelSize: 3, dilationRate: 2, activation: 'relu' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 6 }),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
      }),
      // vectors only
      tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 3, activation: 'relu' }), tf.layers.dense({ units: 2, useBias: false })] }),
    ];
    for (const model of models) {
      const shape = [4, ...(model.inputs[0]!.shape.slice(1) as number[])];
      const data = pseudoRandom(shape.reduce((a, b) => a * b, 1), 5);
      const { diff } = await compare(model, exportLayersToOnnx(await artifactsOf(model)), data, shape);
      expect(diff).toBeLessThan(1e-5);
      model.dispose();
    }
  });

  it('names the first layer it cannot translate', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 }), tf.layers.layerNormalization({ name: 'ln' })] });
    const artifacts = await artifactsOf(model);
    const e = (() => {
      try {
        exportLayersToOnnx(artifacts);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(UnsupportedLayerError);
    expect((e as UnsupportedLayerError).layer).toBe('ln');
    expect((e as Error).message).toContain("'ln' (LayerNormalization)");
    model.dispose();
  });

  it('translates functional models: residual Add, BatchNormalization, average pooling with same padding', async () => {
    await useTfjsBackend('cpu', quiet);
    const input = tf.input({ shape: [9, 9, 3] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ epsilon: 0.01 }).apply(conv) as tf.SymbolicTensor;
    const skip = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([tf.layers.activation({ activation: 'relu' }).apply(bn) as tf.SymbolicTensor, skip]) as tf.SymbolicTensor;
    const pooled = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(sum) as tf.SymbolicTensor;
    const image = tf.model({ inputs: input, outputs: pooled });
    const vector = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 5 }).apply(tf.layers.globalAveragePooling2d({}).apply(pooled)) as tf.SymbolicTensor });
    // Non-trivial statistics, so that a wrong normalisation formula shows.
    const bnLayer = image.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    bnLayer.setWeights([tf.tensor1d([1.5, 0.5, 2, 1]), tf.tensor1d([0.1, -0.2, 0.3, 0]), tf.tensor1d([0.05, -0.1, 0.2, 0]), tf.tensor1d([0.5, 2, 1, 0.25])]);
    const data = pseudoRandom(3 * 9 * 9 * 3, 5).map((v) => (v + 1) / 2);
    for (const model of [image, vector]) {
      const { diff } = await compare(model, exportLayersToOnnx(await artifactsOf(model)), data, [3, 9, 9, 3]);
      expect(diff).toBeLessThan(1e-5);
    }
    vector.dispose();
  });

  it('exports a model.json from disk (the CLI path)', async () => {
    await useTfjsBackend('cpu', quiet);
    const model = mnistCnn({ seed: 4, height: 16, width: 16, classes: 3 });
    const json = join(dir, 'small', 'model.json');
    await model.save(fileModelIo(json));
    const out = join(dir, 'small.onnx');
    const { bytes } = await exportModelJsonToOnnx(json, out);
    expect(bytes).toBe((await readFile(out)).byteLength);
    const data = pseudoRandom(2 * 256, 2).map((v) => (v + 1) / 2);
    expect((await compare(model, await readFile(out), data, [2, 16, 16, 1])).diff).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe.each(['mnist', 'fashion-mnist'])('shipped %s model', (id) => {
  const json = join(MODELS, id, 'model.json');
  const onnx = join(MODELS, id, 'model.onnx');

  it.skipIf(!existsSync(onnx))('model.onnx is the export of model.json (re-run the export CLI after retraining)', async () => {
    expect(Buffer.from(exportLayersToOnnx(await fileModelIo(json).load!())).equals(await readFile(onnx))).toBe(true);
  });

  it.skipIf(!existsSync(onnx))('model.onnx matches tfjs within 1e-4 on 1,000 digits, argmax identical', async () => {
    const digits = sliceBatch(loadMnist('test').x, 0, 1000);
    const ort = await OnnxClassifier.load(onnx, { workers: 1 });
    try {
      const ours = await ort.predict(digits);
      // Parity is numerical, so MNIST digits serve both models. The pure-JS cpu oracle is too slow
      // for 1,000 digits in a test run (about a minute): 32 of them, for the MNIST model.
      const backends = id === 'mnist' ? ([['wasm', 1000], ['cpu', 32]] as const) : ([['wasm', 1000]] as const);
      for (const [backend, n] of backends) {
        const tfjs = await TfjsClassifier.load(json, { backend, log: quiet });
        const ref = await tfjs.predict(sliceBatch(digits, 0, n));
        const mine = sliceBatch(ours, 0, n);
        expect(maxAbsDiff(mine.data, ref.data), backend).toBeLessThan(1e-4);
        expect(argmaxRows(mine), backend).toEqual(argmaxRows(ref));
        tfjs.model.dispose();
      }
    } finally {
      await ort.close();
    }
  });
});
