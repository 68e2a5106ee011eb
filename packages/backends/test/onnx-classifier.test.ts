import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import {
  CapabilityError,
  FileAccessError,
  ModelLoadError,
  ParameterError,
  ShapeError,
  capabilitiesOf,
  featureSpace,
  imageSpace,
  isDifferentiable,
} from '@mixnsqueeze/core';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { ExecutionProviderError } from '../src/onnx/ort-session.ts';
import { linearLogits, linearModel, maxAbsDiff, pseudoRandom, tempDir, writeModel } from './onnx-fixtures.ts';

const CLASSES = 10;
const W784 = pseudoRandom(784 * CLASSES, 7);
let dir: string;
let cleanup: () => Promise<void>;
let nhwc: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  nhwc = await writeModel(dir, 'nhwc.onnx', linearModel({ inputDims: ['N', 28, 28, 1], classes: CLASSES, weights: W784 }));
});
afterAll(() => cleanup());

/** NHWC batch -> the same values in CHW order per sample. */
function toChw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[i * h * w * c + ch * h * w + p] = x[i * h * w * c + p * c + ch]!;
  return out;
}

async function withModel<T>(path: string, options: Parameters<typeof OnnxClassifier.load>[1], f: (m: OnnxClassifier) => Promise<T>): Promise<T> {
  const m = await OnnxClassifier.load(path, options);
  try {
    return await f(m);
  } finally {
    await m.close();
  }
}

describe('OnnxClassifier', () => {
  it('discovers an NHWC model; with gradients off it is logits-only (no vjp)', async () => {
    await withModel(nhwc, { workers: 1, gradients: 'off' }, async (m) => {
      expect(m.space.shape).toEqual([28, 28, 1]);
      expect(m.classes).toBe(CLASSES);
      expect(m.info).toMatchObject({ inputName: 'x', outputName: 'y', layout: 'nhwc', executionProvider: 'cpu', workers: 1, gradients: 'off' });
      expect(isDifferentiable(m)).toBe(false);
      expect('vjp' in m).toBe(false);
      expect(capabilitiesOf(m)).toEqual(['logits']);
      const x = pseudoRandom(3 * 784, 3).map((v) => (v + 1) / 2);
      const y = await m.predict({ data: x, shape: [3, 28, 28, 1] });
      expect(y.shape).toEqual([3, CLASSES]);
      expect(maxAbsDiff(y.data, linearLogits(x, 3, W784, CLASSES))).toBeLessThan(1e-4);
      expect((await m.predict({ data: new Float32Array(0), shape: [0, 28, 28, 1] })).shape).toEqual([0, CLASSES]);
    });
  });

  it('feeds an NCHW [N,1,28,28] model and a 3-channel NCHW model by transposing NHWC batches', async () => {
    const one = await writeModel(dir, 'nchw1.onnx', linearModel({ inputDims: ['batch', 1, 28, 28], classes: CLASSES, weights: W784 }));
    const w48 = pseudoRandom(48 * 5, 11);
    const three = await writeModel(dir, 'nchw3.onnx', linearModel({ inputDims: ['batch', 3, 4, 4], classes: 5, weights: w48 }));
    const x1 = pseudoRandom(2 * 784, 5);
    await withModel(one, { workers: 1 }, async (m) => {
      expect(m.info.layout).toBe('nchw');
      expect(m.space.shape).toEqual([28, 28, 1]);
      expect(maxAbsDiff((await m.predict({ data: x1, shape: [2, 28, 28, 1] })).data, linearLogits(x1, 2, W784, CLASSES))).toBeLessThan(1e-4);
    });
    const x3 = pseudoRandom(4 * 48, 9);
    await withModel(three, { workers: 1 }, async (m) => {
      expect(m.space.shape).toEqual([4, 4, 3]);
      const y = await m.predict({ data: x3, shape: [4, 4, 4, 3] });
      expect(maxAbsDiff(y.data, linearLogits(toChw(x3, 4, 4, 4, 3), 4, w48, 5))).toBeLessThan(1e-4);
    });
  });

  it('runs fixed-batch models in padded calls and probes symbolic output sizes', async () => {
    const w = pseudoRandom(4 * 3, 2);
    const fixed = await writeModel(dir, 'fixed.onnx', linearModel({ inputDims: [2, 4], classes: 3, weights: w }));
    const symbolic = await writeModel(dir, 'sym.onnx', linearModel({ inputDims: ['N', 4], classes: 3, weights: w, outputDims: ['N', 'K'] }));
    const x = pseudoRandom(5 * 4, 4);
    for (const path of [fixed, symbolic]) {
      await withModel(path, { workers: 1 }, async (m) => {
        expect(m.classes).toBe(3);
        expect(maxAbsDiff((await m.predict({ data: x, shape: [5, 4] })).data, linearLogits(x, 5, w, 3))).toBeLessThan(1e-5);
      });
    }
  });

  it('gives the same logits with a worker pool as in process', async () => {
    const x = pseudoRandom(300 * 784, 8);
    const batch = { data: x, shape: [300, 28, 28, 1] };
    const a = await withModel(nhwc, { workers: 1 }, (m) => m.predict(batch));
    const b = await withModel(nhwc, { workers: 2, classNames: 'abcdefghij'.split('') }, async (m) => {
      expect(m.info.workers).toBe(2);
      expect(m.classNames).toHaveLength(CLASSES);
      return m.predict(batch);
    });
    expect(b.data).toEqual(a.data);
  });

  it('rejects corrupted, truncated and missing files with one-line typed errors', async () => {
    const good = await readFile(nhwc);
    const corrupt = await writeModel(dir, 'corrupt.onnx', new Uint8Array(pseudoRandom(300).buffer));
    const truncated = await writeModel(dir, 'truncated.onnx', good.subarray(0, good.length >> 1));
    for (const path of [corrupt, truncated]) {
      for (const workers of [1, 2]) {
        const e = await OnnxClassifier.load(path, { workers }).catch((err: unknown) => err);
        expect(e).toBeInstanceOf(ModelLoadError);
        expect((e as Error).message).not.toContain('\n');
        expect((e as Error).message).toContain(path);
      }
    }
    await expect(OnnxClassifier.load(`${dir}/missing.onnx`)).rejects.toBeInstanceOf(FileAccessError);
  });

  it('rejects data and spaces that do not fit the model with ShapeError', async () => {
    await expect(OnnxClassifier.load(nhwc, { workers: 1, space: imageSpace(32, 32, 3) })).rejects.toBeInstanceOf(ShapeError);
    await expect(OnnxClassifier.load(nhwc, { workers: 1, classes: 5 })).rejects.toBeInstanceOf(ShapeError);
    await expect(OnnxClassifier.load(nhwc, { workers: 0 })).rejects.toBeInstanceOf(ParameterError);
    await expect(OnnxClassifier.load(nhwc, { executionProvider: 'tpu' as 'cpu' })).rejects.toBeInstanceOf(ParameterError);
    await withModel(nhwc, { workers: 1, space: featureSpace([28, 28, 1], [-1, 1]) }, async (m) => {
      expect(m.space.bounds).toEqual([-1, 1]);
      await expect(m.predict({ data: new Float32Array(2 * 1024 * 3), shape: [2, 32, 32, 3] })).rejects.toBeInstanceOf(ShapeError);
    });
  });

  it('uses a GPU provider only when this machine has it, else says so with ExecutionProviderError', async () => {
    for (const provider of ['cuda', 'webgpu'] as const) {
      const r = await OnnxClassifier.load(nhwc, { executionProvider: provider }).catch((e: unknown) => e);
      if (r instanceof OnnxClassifier) {
        expect(r.info).toMatchObject({ executionProvider: provider, workers: 1 });
        await r.close();
        continue;
      }
      expect(r).toBeInstanceOf(ExecutionProviderError);
      expect(r).toBeInstanceOf(CapabilityError);
      expect((r as Error).message).toContain(`'${provider}'`);
      expect((r as Error).message).not.toContain('\n');
    }
  });
});
