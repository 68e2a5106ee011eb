import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '@mixnsqueeze/core';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { type TrainOptions, type TrainingLog, trainModel } from '../src/tfjs/train.ts';
import { bandsDataset, quiet, tempDir, tinyCnn } from './tfjs-fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const train = bandsDataset(96, 1);
const test = bandsDataset(30, 2);

async function runTraining(outDir: string, epochs: number, extra: Partial<TrainOptions> = {}): Promise<{ log: TrainingLog; weights: Float32Array[] }> {
  const model = tinyCnn(3);
  const log = await trainModel(model, train, test, { dataset: 'bands', epochs, seed: 5, outDir, batchSize: 32, shift: 1, decayEvery: 1, ...extra });
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return { log, weights };
}

beforeAll(async () => {
  await useTfjsBackend('wasm', quiet);
  tmp = await tempDir('mixnsqueeze-train-');
});
afterAll(() => tmp.cleanup());

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
    expect(resumed.log.history.map((h) => h.loss)).toEqual(straight.log.history.map((h) => h.loss));
    resumed.weights.forEach((w, i) => expect(w).toEqual(straight.weights[i]));
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    await expect(runTraining(join(tmp.dir, 'straight'), 3, { seed: 6 })).rejects.toThrow(FormatError);
  });
});
