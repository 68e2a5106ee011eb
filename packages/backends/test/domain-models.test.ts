import { describe, expect, it } from 'vitest';
import { argmaxRows, schemaViolation } from '@mixnsqueeze/core';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { loadDataset } from '../src/data/load-dataset.ts';
import { generateWaveforms } from '../src/data/waveforms.ts';
import { loadClassifier } from '../src/zoo/load-classifier.ts';
import { ZOO } from '../src/zoo/zoo.ts';
import { derivedKeys } from '@mixnsqueeze/core';

const quiet = { backend: 'cpu' as const, log: () => {} };
const accuracy = (pred: Int32Array, labels: Int32Array) => pred.reduce((s, p, i) => s + Number(p === labels[i]), 0) / labels.length;

describe('domain datasets and models', () => {
  it('penguins: 233 train and 100 test records from vega-datasets, valid for the schema', async () => {
    const train = await loadDataset('penguins', { split: 'train' });
    const test = await loadDataset('penguins', { split: 'test' });
    expect([train.labels.length, test.labels.length]).toEqual([233, 100]);
    expect(schemaViolation(test.space, test.x)).toBeUndefined();
    expect(schemaViolation(train.space, train.x)).toBeUndefined();
    expect(test.classNames).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  });

  it('the zoo penguins model carries the schema, is accurate, and its ONNX export agrees with tfjs', async () => {
    const test = await loadDataset('penguins', { split: 'test' });
    const tfjs = await loadClassifier('penguins', quiet);
    expect(tfjs.space.features?.names).toEqual(test.space.features?.names);
    expect([...tfjs.space.immutable!]).toEqual([...test.space.immutable!]);
    const logits = await tfjs.predict(test.x);
    expect(accuracy(argmaxRows(logits), test.labels)).toBeGreaterThan(0.95);
    const onnx = await OnnxClassifier.load(ZOO.penguins.modelJson.replace(/model\.json$/, 'model.onnx'), { space: tfjs.space });
    try {
      const o = await onnx.predict(test.x);
      let worst = 0;
      for (let i = 0; i < o.data.length; i++) worst = Math.max(worst, Math.abs(o.data[i]! - logits.data[i]!));
      expect(worst).toBeLessThan(1e-4);
      expect(onnx.space.features).toBe(tfjs.space.features);
    } finally {
      await onnx.close?.();
    }
  });

  it('waveforms: a pure function of the key, and the zoo CNN tells the four shapes apart', async () => {
    const a = generateWaveforms(10, derivedKeys('aa'.repeat(16)).next());
    const b = generateWaveforms(10, derivedKeys('aa'.repeat(16)).next());
    expect(a.x.data).toEqual(b.x.data);
    const test = await loadDataset('waveforms', { split: 'test' });
    expect(test.x.shape).toEqual([1000, 64, 1]);
    const model = await loadClassifier('waveforms', quiet);
    expect(model.space.layout).toBe('sequence');
    expect(accuracy(argmaxRows(await model.predict(test.x)), test.labels)).toBeGreaterThan(0.88);
  });
});
