import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, ShapeError, makeBatch } from '@mixnsqueeze/core';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';
import { TfjsClassifier } from '../src/tfjs/tfjs-classifier.ts';
import { quiet, tempDir, tinyCnn, uniformBatch } from './tfjs-fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  await useTfjsBackend('wasm', quiet);
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

describe('TfjsClassifier', () => {
  it('predicts logits in chunks and reads its space and classes from the model', async () => {
    const model = tinyCnn();
    const c = new TfjsClassifier(model, { batchSize: 3, classNames: ['a', 'b', 'c'] });
    expect(c.space.shape).toEqual([8, 8, 1]);
    expect(c.space.bounds).toEqual([0, 1]);
    expect(c.classes).toBe(3);
    const x = uniformBatch([7, 8, 8, 1]);
    const logits = await c.predict(x);
    expect(logits.shape).toEqual([7, 3]);
    const direct = tf.tidy(() => (model.predict(tf.tensor(x.data, [7, 8, 8, 1])) as tf.Tensor).dataSync());
    expect(Array.from(logits.data)).toEqual(Array.from(direct));
    c.dispose();
  });

  it('vjp is the input gradient of <dLogits, logits(x)>: exact for a linear model', async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 1] }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
    const c = new TfjsClassifier(model, { batchSize: 2 });
    const w = model.getWeights()[0]!.dataSync(); // 4 x 3
    const g = makeBatch(Float32Array.from([1, -2, 0.5, 0, 1, 3, -1, -1, 2]), [3, 3]);
    const grad = await c.vjp(uniformBatch([3, 2, 2, 1]), g);
    for (let n = 0; n < 3; n++) {
      for (let i = 0; i < 4; i++) {
        let expected = 0;
        for (let k = 0; k < 3; k++) expected += w[i * 3 + k]! * g.data[n * 3 + k]!;
        expect(grad.data[n * 4 + i]).toBeCloseTo(expected, 5);
      }
    }
    c.dispose();
  });

  it('refuses inputs and dLogits of the wrong shape with a ShapeError', async () => {
    const c = new TfjsClassifier(tinyCnn());
    await expect(c.predict(uniformBatch([2, 7, 8, 1]))).rejects.toThrow(ShapeError);
    await expect(c.vjp(uniformBatch([2, 8, 8, 1]), makeBatch(new Float32Array(4), [2, 2]))).rejects.toThrow(ShapeError);
    c.dispose();
  });

  it('leaks no tensors across 1,000 predict and vjp calls', async () => {
    const c = new TfjsClassifier(tinyCnn());
    const x = uniformBatch([2, 8, 8, 1]);
    const g = makeBatch(Float32Array.from([1, 0, -1, 0.5, 0.5, 0]), [2, 3]);
    await c.predict(x);
    await c.vjp(x, g);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 500; i++) {
      await c.predict(x);
      await c.vjp(x, g);
    }
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
  });

  it('vjpWith runs one forward pass for the logits and the gradient of a seed computed from them', async () => {
    const model = tinyCnn(5);
    const c = new TfjsClassifier(model, { batchSize: 4 });
    const seedOf = (z: { data: Float32Array; shape: readonly number[] }) => makeBatch(z.data.map((v, i) => v * (i % 3) - 1), z.shape);
    for (const n of [3, 6]) {
      const x = uniformBatch([n, 8, 8, 1], n);
      const logits = await c.predict(x);
      const grad = await c.vjp(x, seedOf(logits));
      const forwards: number[] = [];
      const apply = model.apply.bind(model);
      model.apply = ((...a: Parameters<typeof apply>) => (forwards.push(1), apply(...a))) as typeof model.apply;
      const r = await c.vjpWith(x, seedOf);
      model.apply = apply;
      // Within batchSize one forward pass; above it, predict's chunks then vjp's.
      if (n <= 4) expect(forwards.length).toBe(1);
      for (let i = 0; i < logits.data.length; i++) expect(r.logits.data[i]).toBeCloseTo(logits.data[i]!, 5);
      for (let i = 0; i < grad.data.length; i++) expect(r.grad.data[i]).toBeCloseTo(grad.data[i]!, 5);
    }
    const x = uniformBatch([2, 8, 8, 1]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) await c.vjpWith(x, seedOf);
    expect(tf.memory().numTensors).toBe(before);
    await expect(c.vjpWith(x, () => makeBatch(new Float32Array(2), [2, 1]))).rejects.toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
  });
});

describe('fileModelIo', () => {
  it('round-trips a model through model.json + weights.bin', async () => {
    const model = tinyCnn(7);
    const path = join(tmp.dir, 'round', 'model.json');
    await model.save(fileModelIo(path));
    const loaded = await TfjsClassifier.load(path, { log: quiet });
    const x = uniformBatch([4, 8, 8, 1], 9);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x.data, [4, 8, 8, 1])) as tf.Tensor).dataSync());
    expect(Array.from((await loaded.predict(x)).data)).toEqual(Array.from(expected));
    loaded.dispose();
    model.dispose();
  });

  it('turns a missing, truncated or corrupted model into a one-line ModelLoadError', async () => {
    const dir = join(tmp.dir, 'broken');
    await mkdir(dir, { recursive: true });
    const model = tinyCnn();
    await model.save(fileModelIo(join(dir, 'model.json')));
    await expect(TfjsClassifier.load(join(tmp.dir, 'nowhere', 'model.json'), { log: quiet })).rejects.toThrow(ModelLoadError);

    const weights = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), weights.subarray(0, weights.length - 8));
    const truncated = TfjsClassifier.load(join(dir, 'model.json'), { log: quiet });
    await expect(truncated).rejects.toThrow(ModelLoadError);
    await expect(truncated).rejects.toThrow(/truncated/);

    const json = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), json.slice(0, json.length / 2));
    await expect(TfjsClassifier.load(join(dir, 'model.json'), { log: quiet })).rejects.toThrow(ModelLoadError);

    await writeFile(join(dir, 'model.json'), json.replace('"Conv2D"', '"NoSuchLayer"'));
    await writeFile(join(dir, 'weights.bin'), weights);
    const unknown = TfjsClassifier.load(join(dir, 'model.json'), { log: quiet });
    await expect(unknown).rejects.toThrow(ModelLoadError);
    await expect(unknown).rejects.not.toThrow(/\n/);
    model.dispose();
  });
});
