import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, argmaxRows, isDifferentiable, makeBatch } from '@mixnsqueeze/core';
import { decodePng } from '../src/data/image-files.ts';
import { exportLayersToOnnx } from '../src/onnx/export-tfjs.ts';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';
import { loadClassifier } from '../src/zoo/load-classifier.ts';
import { ZOO } from '../src/zoo/zoo.ts';
import { quiet } from './tfjs-fixtures.ts';
import { softmaxRows } from './softmax-rows.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/cifar10-test-png/', import.meta.url));

interface Reference {
  images: { file: string; label: number; probabilities: number[] }[];
}

let reference: Reference;
let images: Batch;

beforeAll(async () => {
  await useTfjsBackend('cpu', quiet);
  reference = JSON.parse(await readFile(join(FIXTURES, 'resnet8-keras-reference.json'), 'utf8')) as Reference;
  expect(reference.images.map((i) => i.file)).toEqual((await readdir(FIXTURES)).filter((f) => f.endsWith('.png')).sort());
  const data = new Float32Array(reference.images.length * 32 * 32 * 3);
  for (const [i, { file }] of reference.images.entries()) {
    const png = decodePng(await readFile(join(FIXTURES, file)), file);
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) data[(i * 1024 + p) * 3 + c] = png.rgba[p * 4 + c]! / 255;
  }
  images = makeBatch(data, [reference.images.length, 32, 32, 3]);
});

describe('zoo: cifar10-resnet8 (MLPerf Tiny ResNet-8)', () => {
  it('matches the Keras reference on the 20 lossless CIFAR-10 test PNGs and gets 19 of them right', async () => {
    const model = await loadClassifier('cifar10-resnet8', { log: quiet });
    expect(isDifferentiable(model)).toBe(true);
    expect(model.classNames).toEqual(ZOO['cifar10-resnet8'].classNames);
    expect(model.space.shape).toEqual([32, 32, 3]);
    const probs = softmaxRows((await model.predict(images)).data, 10);
    let worst = 0;
    reference.images.forEach((img, i) => img.probabilities.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - probs[i * 10 + k]!)))));
    expect(worst).toBeLessThan(1e-5);
    const pred = argmaxRows(await model.predict(images));
    const correct = reference.images.filter((img, i) => pred[i] === img.label).length;
    expect(correct).toBe(19);
  });

  it('model.onnx is the export of model.json (re-run scripts/convert-resnet8.ts after changing either)', async () => {
    const json = ZOO['cifar10-resnet8'].modelJson;
    const onnx = await readFile(join(json, '..', 'model.onnx'));
    expect(Buffer.from(exportLayersToOnnx(await fileModelIo(json).load!())).equals(onnx)).toBe(true);
  });

  it('ONNX export gives the tfjs logits', async () => {
    const tfjs = await loadClassifier('cifar10-resnet8', { log: quiet });
    const onnx = await OnnxClassifier.load(join(ZOO['cifar10-resnet8'].modelJson, '..', 'model.onnx'), { workers: 1 });
    try {
      const a = (await tfjs.predict(images)).data;
      const b = (await onnx.predict(images)).data;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await onnx.close();
    }
  });
});
