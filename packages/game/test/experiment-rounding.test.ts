import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Batch, type Classifier, LinearClassifier, Registry, imageSpace } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { gamePlugin } from '../src/plugin.ts';
import { type ExperimentInput, parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { type ExperimentEnvironment, runExperiment } from '../src/experiment/runner.ts';
import { seeded } from './tiny-experiment.ts';

const space = imageSpace(4, 4, 1);
const base = new LinearClassifier(space, Float64Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i * 1.3) * 4), Float64Array.of(0, 0.2, -0.1));
/** Test images on the 8-bit grid; the "attack" moves every value 0.4 / 255 off it (or 0.5 / 255: a tie). */
const test = {
  x: { data: Float32Array.from({ length: 40 * 16 }, (_, i) => ((i * 37) % 250) / 255), shape: [40, 4, 4, 1] },
  labels: Int32Array.from({ length: 40 }, (_, i) => i % 3),
};
const OFFSET = 0.4 / 255;

const input: ExperimentInput = {
  name: 'rounding',
  dataset: 'synthetic',
  model: 'linear',
  seed: '00112233445566778899aabbccddeeff',
  seeds: 5,
  legitimate: 10,
  repetitions: 2,
  budgets: [1],
  m: 2,
  games: 0,
  attacks: [{ label: 'shift', spec: 'fgsm:eps=0.01' }],
  squeezers: [{ label: 'none', specs: [], deltas: [0], operatingDelta: 0 }],
  adaptive: [{ label: 'shift again', spec: 'fgsm:eps=0.01', squeezer: 'none', runs: 2 }],
};

/** Every batch the model classified, by row count (the seeds' sets have 5 rows). */
async function batchesSeen(roundTo: 'none' | 'uint8'): Promise<Float32Array[]> {
  const seen: Float32Array[] = [];
  const model: Classifier = {
    space,
    classes: 3,
    stochastic: false,
    predict: async (x: Batch) => {
      if (x.shape[0] === 5) seen.push(x.data.slice());
      return base.predict(x);
    },
  };
  const shift = (x: Batch): Batch => ({ data: x.data.map((v) => v + OFFSET), shape: x.shape });
  const env: ExperimentEnvironment = {
    registry: new Registry().use(squeezersPlugin).use(gamePlugin),
    model,
    test,
    attack: async (_e, seeds) => ({ adversarial: shift(seeds), success: new Uint8Array(5), summary: {} }),
    adaptiveAttack: async (_e, _r, seeds) => ({ adversarial: shift(seeds), summary: {} }),
  };
  const store = new ResultStore(join(mkdtempSync(join(tmpdir(), 'mns-round-')), 'r.db'));
  const config = seeded(parseConfig({ ...input, roundTo }));
  store.openRun('run', config, {});
  try {
    await runExperiment(config, env, store, 'run');
  } finally {
    store.close();
  }
  return seen;
}

const offGrid = (data: Float32Array) => data.filter((v) => Math.abs(v * 255 - Math.round(v * 255)) > 1e-3).length;

describe('experiment runner: adversarial examples on the 8-bit grid', () => {
  it("with roundTo uint8 every adversarial set (tables 1-2 and the adaptive rows) is classified on the grid, as EvadeML-Zoo's main program evaluates", async () => {
    const seen = await batchesSeen('uint8');
    // seed selection (clean), the attack set, the adaptive set (randomized runs and the plain run).
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const data of seen) expect(offGrid(data)).toBe(0);
  });

  it('without it the attack output is classified as it came', async () => {
    const seen = await batchesSeen('none');
    expect(seen.filter((d) => offGrid(d) > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('the built-in paper configs round, the tabular one does not', async () => {
    const { builtinConfig } = await import('../src/experiment/builtin-configs.ts');
    expect(builtinConfig('mnist-paper').roundTo).toBe('uint8');
    expect(builtinConfig('mnist-quick').roundTo).toBe('uint8');
    expect(builtinConfig('cifar10-paper').roundTo).toBe('uint8');
    expect(builtinConfig('penguins').roundTo).toBe('none');
  });
});
