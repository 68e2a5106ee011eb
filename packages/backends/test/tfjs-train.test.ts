import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ParameterError, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from '../src/data/dataset.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { KerasSgdOptimizer } from '../src/tfjs/keras-sgd.ts';
import { mnistCnn } from '../src/tfjs/mnist-cnn.ts';
import { type OptimizerSpec } from '../src/tfjs/optimizer-spec.ts';
import { type TrainOptions, type TrainingLog, holdOut, trainModel } from '../src/tfjs/train.ts';
import { RECIPES } from '../src/zoo/recipes.ts';
import { bandsDataset, quiet, tempDir, tinyCnn } from './tfjs-fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const train = bandsDataset(96, 1);
const test = bandsDataset(30, 2);
const validation = bandsDataset(12, 3);
const ADAM: OptimizerSpec = { kind: 'adam', learningRate: 1e-3, halveEvery: 1 };
// A decay large enough that 3 steps per epoch change the learning rate visibly.
const SGD: OptimizerSpec = { kind: 'sgd', learningRate: 0.05, decay: 0.1, momentum: 0.9, nesterov: true };

async function runTraining(outDir: string, epochs: number, extra: Partial<TrainOptions> = {}): Promise<{ log: TrainingLog; weights: Float32Array[] }> {
  const model = tinyCnn(3);
  try {
    const log = await trainModel(model, train, test, { dataset: 'bands', epochs, seed: 5, outDir, batchSize: 32, shift: 1, optimizer: ADAM, ...extra });
    return { log, weights: model.getWeights().map((w) => w.dataSync() as Float32Array) };
  } finally {
    model.dispose();
  }
}

/** The history without wall-clock fields, for comparing runs. */
const outcome = (log: TrainingLog): unknown[] => log.history.map(({ seconds: _s, imagesPerSecond: _r, ...rest }) => rest);

beforeAll(async () => {
  await useTfjsBackend('wasm', quiet);
  tmp = await tempDir('mixnsqueeze-train-');
});
afterAll(() => tmp.cleanup());

describe('KerasSgdOptimizer', () => {
  // loss(p) = sum(c * p + p^2 / 2): gradient c + p, a problem whose updates are easy to follow by hand.
  const c = [0.5, -1, 2];
  function runSteps(make: () => tf.Optimizer, steps: number, perStep?: (o: tf.Optimizer, t: number) => void): number[] {
    const p = tf.variable(tf.tensor1d([1, 2, -3]));
    const ct = tf.tensor1d(c);
    const opt = make();
    for (let t = 0; t < steps; t++) {
      perStep?.(opt, t);
      tf.tidy(() => {
        opt.minimize(() => tf.sum(tf.add(tf.mul(ct, p), tf.mul(0.5, tf.square(p)))) as tf.Scalar, false, [p]);
      });
    }
    const out = Array.from(p.dataSync());
    opt.dispose();
    tf.dispose([p, ct]);
    return out;
  }
  /** Keras 2.0's SGD.get_updates, by hand in double precision. */
  function keras(lr: number, decay: number, m: number, nesterov: boolean, steps: number): number[] {
    const p = [1, 2, -3];
    const v = [0, 0, 0];
    for (let t = 0; t < steps; t++) {
      const lrT = lr / (1 + decay * t);
      for (let i = 0; i < 3; i++) {
        const g = c[i]! + p[i]!;
        v[i] = m * v[i]! - lrT * g;
        p[i] = nesterov ? p[i]! + m * v[i]! - lrT * g : p[i]! + v[i]!;
      }
    }
    return p;
  }
  const close = (a: number[], b: number[]): void => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 6));

  it('follows Keras 2.0 SGD with Nesterov momentum and time decay, step by step', () => {
    for (const steps of [1, 2, 3]) {
      close(runSteps(() => new KerasSgdOptimizer({ learningRate: 0.1, decay: 0.5, momentum: 0.9, nesterov: true }), steps), keras(0.1, 0.5, 0.9, true, steps));
    }
    close(runSteps(() => new KerasSgdOptimizer({ learningRate: 0.1, decay: 0.5, momentum: 0.9 }), 3), keras(0.1, 0.5, 0.9, false, 3));
    // Step 1 by hand: g = c + p = [1.5, 1, -1]; v = -0.1 g; p += 0.9 v - 0.1 g = p - 0.19 g.
    close(runSteps(() => new KerasSgdOptimizer({ learningRate: 0.1, decay: 0.5, momentum: 0.9, nesterov: true }), 1), [1 - 0.285, 2 - 0.19, -3 + 0.19]);
  });

  it("equals tfjs' Nesterov momentum at a constant rate, and not once the rate decays per step", () => {
    const tfjs = (decay: number): number[] =>
      runSteps(() => tf.train.momentum(0.1, 0.9, true), 3, (o, t) => (o as tf.MomentumOptimizer).setLearningRate(0.1 / (1 + decay * t)));
    close(runSteps(() => new KerasSgdOptimizer({ learningRate: 0.1, momentum: 0.9, nesterov: true }), 3), tfjs(0));
    const ours = runSteps(() => new KerasSgdOptimizer({ learningRate: 0.1, decay: 0.5, momentum: 0.9, nesterov: true }), 3);
    expect(Math.max(...ours.map((x, i) => Math.abs(x - tfjs(0.5)[i]!)))).toBeGreaterThan(1e-3);
  });

  it('saves and restores its iteration count and velocities', async () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const step = (o: tf.Optimizer): void => tf.tidy(() => {
      o.minimize(() => tf.sum(tf.square(p)) as tf.Scalar, false, [p]);
    });
    const a = new KerasSgdOptimizer({ learningRate: 0.1, decay: 0.5, momentum: 0.9, nesterov: true });
    step(a);
    step(a);
    const saved = (await a.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    expect(saved.map((w) => w.name)).toEqual(['iter', `${p.name}/velocity`]);
    const b = new KerasSgdOptimizer({ learningRate: 0.1, decay: 0.5, momentum: 0.9, nesterov: true });
    await b.setWeights(saved);
    expect(b.iterations).toBe(2);
    expect(b.currentLearningRate).toBeCloseTo(0.1 / 2, 12);
    const snapshot = p.clone();
    step(a);
    const viaA = Array.from(p.dataSync());
    p.assign(snapshot);
    step(b);
    expect(Array.from(p.dataSync())).toEqual(viaA);
    tf.dispose([p, snapshot, ...saved.map((w) => w.tensor)]);
    a.dispose();
    b.dispose();
  });
});

describe('the model and the recipe', () => {
  it('drops out after dense1 in training only', () => {
    const model = mnistCnn({ seed: 1 });
    expect(model.layers.map((l) => l.name).slice(8, 10)).toEqual(['dense1', 'dropout']);
    expect((model.getLayer('dropout').getConfig() as { rate: number }).rate).toBe(0.5);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 7);
    const [a, b, c, d] = tf.tidy(() => [
      model.predict(x) as tf.Tensor,
      model.apply(x, { training: false }) as tf.Tensor,
      model.apply(x, { training: true }) as tf.Tensor,
      model.apply(x, { training: true }) as tf.Tensor,
    ]);
    expect(Array.from(b!.dataSync())).toEqual(Array.from(a!.dataSync()));
    expect(Array.from(c!.dataSync())).not.toEqual(Array.from(a!.dataSync()));
    expect(Array.from(d!.dataSync())).not.toEqual(Array.from(c!.dataSync()));
    tf.dispose([x, a!, b!, c!, d!]);
    model.dispose();
  });

  it("mnist is Carlini's recipe; fashion-mnist keeps Adam", () => {
    expect(RECIPES.mnist).toMatchObject({ epochs: 50, batchSize: 128, shift: 0, validation: 5000 });
    expect(RECIPES.mnist.optimizer).toEqual({ kind: 'sgd', learningRate: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true });
    expect(RECIPES['fashion-mnist'].optimizer.kind).toBe('adam');
  });

  it('holds out the first k training samples as validation data', () => {
    const d: Dataset = { x: makeBatch(Float32Array.from({ length: 10 * 4 }, (_, i) => i), [10, 2, 2, 1]), labels: Int32Array.from({ length: 10 }, (_, i) => i), space: imageSpace(2, 2, 1) };
    const { train: t, validation: v } = holdOut(d, 3);
    expect(Array.from(v.labels)).toEqual([0, 1, 2]);
    expect(Array.from(t.labels)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(v.x.shape).toEqual([3, 2, 2, 1]);
    expect(t.x.shape).toEqual([7, 2, 2, 1]);
    expect(Array.from(v.x.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(t.x.data[0]).toBe(12);
    expect(() => holdOut(d, 10)).toThrow(ParameterError);
  });
});

describe('trainModel', () => {
  it('learns, writes model, weights and a JSON log, and resumes to the very same weights', async () => {
    const straight = await runTraining(join(tmp.dir, 'straight'), 2);
    expect(straight.log.history).toHaveLength(2);
    expect(straight.log.history[1]!.learningRate).toBe(5e-4);
    expect(straight.log.testAccuracy).toBeGreaterThan(0.5);
    for (const f of ['model.json', 'weights.bin', 'training-log.json']) expect(existsSync(join(tmp.dir, 'straight', f))).toBe(true);
    const written = JSON.parse(await readFile(join(tmp.dir, 'straight', 'training-log.json'), 'utf8')) as TrainingLog;
    expect(written.testAccuracy).toBe(straight.log.testAccuracy);

    const resumedEpochs: boolean[] = [];
    await runTraining(join(tmp.dir, 'resumed'), 1);
    const resumed = await runTraining(join(tmp.dir, 'resumed'), 2, { onEpoch: (_, r) => resumedEpochs.push(r) });
    expect(resumedEpochs).toEqual([true, false]);
    expect(outcome(resumed.log)).toEqual(outcome(straight.log));
    resumed.weights.forEach((w, i) => expect(w).toEqual(straight.weights[i]));
  });

  it('trains with Keras SGD, reports validation accuracy, and resumes inside an epoch bit for bit', async () => {
    const sgd: Partial<TrainOptions> = { optimizer: SGD, validation, checkpointMinutes: 0 };
    const straight = await runTraining(join(tmp.dir, 'sgd-straight'), 2, sgd);
    expect(straight.log.validationSize).toBe(12);
    expect(straight.log.history.every((h) => h.validationAccuracy !== undefined)).toBe(true);
    // 3 steps per epoch: epoch 2's last step is the 6th, t = 5.
    expect(straight.log.history[1]!.learningRate).toBeCloseTo(0.05 / (1 + 0.1 * 5), 12);
    // One tensors file remains next to state.json.
    expect((await readdir(join(tmp.dir, 'sgd-straight', 'checkpoint'))).sort()).toEqual(['state.json', 'tensors-6.bin']);

    // Interrupted during epoch 2's second step: the checkpoint holds epoch 2 after its first step.
    const dir = join(tmp.dir, 'sgd-resumed');
    const stop = new Error('interrupted');
    await expect(runTraining(dir, 2, { ...sgd, onBatch: (e, done) => { if (e === 2 && done === 2) throw stop; } })).rejects.toBe(stop);
    const state = JSON.parse(await readFile(join(dir, 'checkpoint', 'state.json'), 'utf8')) as { position: { epoch: number; step: number; draws: number } };
    expect(state.position).toMatchObject({ epoch: 2, step: 1, draws: 1 });
    const positions: [number, boolean][] = [];
    const resumed = await runTraining(dir, 2, { ...sgd, onCheckpoint: (p, _steps, r) => positions.push([p.step, r]) });
    expect(positions[0]).toEqual([1, true]);
    expect(outcome(resumed.log)).toEqual(outcome(straight.log));
    resumed.weights.forEach((w, i) => expect(w).toEqual(straight.weights[i]));
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    await expect(runTraining(join(tmp.dir, 'straight'), 3, { seed: 6 })).rejects.toThrow(FormatError);
    await expect(runTraining(join(tmp.dir, 'straight'), 3, { optimizer: SGD })).rejects.toThrow(FormatError);
  });
});
