import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Batch, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from '../src/data/dataset.ts';

export const quiet = (): void => {};

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'mixnsqueeze-tfjs-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A tiny seeded CNN on 8x8x1 inputs with 3 classes: conv, relu, max-pool, dropout, dense. */
export function tinyCnn(seed = 1): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.rescaling({ inputShape: [8, 8, 1], scale: 1, offset: -0.5 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Deterministic values in [0, 1) (an LCG). */
export function uniformBatch(shape: number[], seed = 1): Batch {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return makeBatch(out, shape);
}

/** 8x8 images whose class (0, 1, 2) is the brightest of three horizontal bands, plus noise. */
export function bandsDataset(n: number, seed = 1): Dataset {
  const noise = uniformBatch([n, 8, 8, 1], seed).data;
  const labels = new Int32Array(n);
  const data = new Float32Array(n * 64);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let p = 0; p < 64; p++) {
      const band = Math.min(2, Math.floor(Math.floor(p / 8) / 3));
      data[i * 64 + p] = Math.min(1, 0.6 * noise[i * 64 + p]! + (band === c ? 0.4 : 0));
    }
  }
  return { x: makeBatch(data, [n, 8, 8, 1]), labels, space: imageSpace(8, 8, 1) };
}
