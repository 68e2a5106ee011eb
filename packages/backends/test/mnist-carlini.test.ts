import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, argmaxRows, isDifferentiable, sliceBatch } from '@mixnsqueeze/core';
import { type Dataset } from '../src/data/dataset.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { exportLayersToOnnx } from '../src/onnx/export-tfjs.ts';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';
import { loadClassifier } from '../src/zoo/load-classifier.ts';
import { ZOO } from '../src/zoo/zoo.ts';
import { quiet } from './tfjs-fixtures.ts';
import { softmaxRows } from './softmax-rows.ts';

const FIXTURE = fileURLToPath(new URL('fixtures/mnist-carlini-keras-reference.json', import.meta.url));
const ONNX = join(ZOO.mnist.modelJson, '..', 'model.onnx');

interface Reference {
  digits: { index: number; label: number; logits: number[]; probabilities: number[] }[];
}

let reference: Reference;
let test: Dataset;
let digits: Batch;

beforeAll(async () => {
  await useTfjsBackend('cpu', quiet);
  reference = JSON.parse(await readFile(FIXTURE, 'utf8')) as Reference;
  test = loadMnist('test');
  expect(reference.digits.map((d) => d.index)).toEqual(reference.digits.map((_, i) => i));
  expect(reference.digits.map((d) => d.label)).toEqual(Array.from(test.labels.subarray(0, reference.digits.length)));
  digits = sliceBatch(test.x, 0, reference.digits.length);
});

describe("zoo: mnist (Carlini's CNN, weights released with Feature Squeezing)", () => {
  it('matches the float64 Keras reference on the first 20 official test digits (tfjs cpu)', async () => {
    const model = await loadClassifier('mnist', { backend: 'cpu', log: quiet });
    expect(isDifferentiable(model)).toBe(true);
    expect(model.space.shape).toEqual([28, 28, 1]);
    const logits = (await model.predict(digits)).data;
    const probs = softmaxRows(logits, 10);
    let worstLogit = 0;
    let worstProb = 0;
    reference.digits.forEach((d, i) => {
      d.logits.forEach((v, k) => (worstLogit = Math.max(worstLogit, Math.abs(v - logits[i * 10 + k]!))));
      d.probabilities.forEach((p, k) => (worstProb = Math.max(worstProb, Math.abs(p - probs[i * 10 + k]!))));
    });
    // Measured by scripts/convert-mnist-carlini.ts on the first 100 digits: logits within 1.04e-5
    // (float32 vs float64; logits reach about 40 in magnitude), probabilities within 2.1e-9.
    expect(worstLogit).toBeLessThan(1e-4);
    expect(worstProb).toBeLessThan(1e-6);
    expect(Array.from(argmaxRows({ data: logits, shape: [reference.digits.length, 10] }))).toEqual(reference.digits.map((d) => d.label));
  });

  it('model.onnx is the export of model.json (re-run scripts/convert-mnist-carlini.ts after changing either)', async () => {
    const onnx = await readFile(ONNX);
    expect(Buffer.from(exportLayersToOnnx(await fileModelIo(ZOO.mnist.modelJson).load!())).equals(onnx)).toBe(true);
  });

  it('model.onnx classifies 9,943 of the 10,000 official test digits correctly (99.43%, as the papers state)', async () => {
    expect(test.labels.length).toBe(10000);
    const onnx = await OnnxClassifier.load(ONNX, { workers: 2 });
    try {
      expect(onnx.info.gradients).toBe('exact');
      let correct = 0;
      const batch = 1000;
      for (let from = 0; from < 10000; from += batch) {
        const pred = argmaxRows(await onnx.predict(sliceBatch(test.x, from, from + batch)));
        for (let i = 0; i < batch; i++) if (pred[i] === test.labels[from + i]) correct++;
      }
      expect(correct).toBe(9943);
    } finally {
      await onnx.close();
    }
  });
});
