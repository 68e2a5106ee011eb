import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Batch, LinearClassifier, Registry, imageSpace } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { gamePlugin } from '../src/plugin.ts';
import { Fgsm, Pgd } from '@mixnsqueeze/attacks';
import { attackSummary } from '../src/experiment/attack-summary.ts';
import { type ExperimentConfig, type ExperimentInput, parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { type ExperimentEnvironment, type SeededConfig, runExperiment } from '../src/experiment/runner.ts';

/** A tiny experiment (linear model on 4x4 images, FGSM) that runs in a second. */
const space = imageSpace(4, 4, 1);
const model = new LinearClassifier(space, Float64Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i * 1.3) * 4), Float64Array.of(0, 0.2, -0.1));

function testSet(n: number): { x: Batch; labels: Int32Array } {
  const x = { data: Float32Array.from({ length: n * 16 }, (_, i) => Math.abs(Math.sin(i * 0.77 + 0.3))), shape: [n, 4, 4, 1] };
  return { x, labels: Int32Array.from({ length: n }, (_, i) => i % 3) };
}

export const input: ExperimentInput = {
  name: 'tiny',
  dataset: 'synthetic',
  model: 'linear',
  seed: '00112233445566778899aabbccddeeff',
  seeds: 6,
  legitimate: 30,
  repetitions: 8,
  budgets: [1, 3],
  m: 4,
  games: 5,
  attacks: [
    { label: 'FGSM', spec: 'fgsm:eps=0.2' },
    { label: 'FGSM next', spec: 'fgsm:eps=0.3', target: 'next' },
  ],
  squeezers: [
    { label: 'median 2x2', specs: ['median:2x2'], deltas: [0, 0.3], operatingDelta: 0.3 },
    { label: 'none', specs: [], deltas: [0, 0.5], operatingDelta: 0.5 },
  ],
  adaptive: [{ label: 'PGD (median 2x2)', spec: 'pgd:eps=0.2,steps=12', squeezer: 'median 2x2', runs: 3, samples: 4 }],
};

/** A parsed test config with its seed settled (the tests write theirs in the config). */
export function seeded(config: ExperimentConfig): SeededConfig {
  if (config.seed === undefined) throw new Error('test config without a seed');
  return { ...config, seed: config.seed };
}

export function env(): ExperimentEnvironment {
  const registry = new Registry().use(squeezersPlugin).use(gamePlugin);
  return {
    registry,
    model,
    test: testSet(60),
    async attack(entry, seeds, labels, seed) {
      const r = await new Fgsm({ eps: Number(/eps=([\d.]+)/.exec(entry.spec)![1]) }).run(model, seeds, labels, { target: entry.target, seed });
      return { adversarial: r.adversarial, success: r.success, summary: { attack: r.attack } };
    },
    async adaptiveAttack(_entry, _row, seeds, labels, seed) {
      const r = await new Pgd({ norm: 'linf', eps: 0.2, step: 0.01, steps: 12, restarts: 1, randomStart: true }).run(model, seeds, labels, { seed });
      // Wall time differs between runs; the CLI gets it from the attack cache, stable across resumes.
      const { elapsedMs: _elapsed, ...summary } = attackSummary(r);
      return { adversarial: r.adversarial, summary };
    },
  };
}

export async function allCells(dbPath: string, crashAfter?: number, overrides: Partial<ExperimentInput> = {}): Promise<Record<string, unknown>> {
  const store = new ResultStore(dbPath);
  const config = seeded(parseConfig({ ...input, ...overrides }));
  store.openRun('run', config, {});
  let calls = 0;
  try {
    await runExperiment(config, env(), store, 'run', () => {
      if (crashAfter !== undefined && ++calls > crashAfter) throw new Error('simulated crash');
    });
  } finally {
    store.close();
  }
  const reopened = new ResultStore(dbPath);
  const cells = Object.fromEntries(reopened.cells('run').map((c) => [c.key, c.result]));
  reopened.close();
  return cells;
}


/** Runs the tiny experiment into a fresh database and writes its report; returns the report folder. */
export async function tinyReport(overrides: Partial<ExperimentInput> = {}): Promise<string> {
  const { loadReportData } = await import('../src/report/report-data.ts');
  const { writeReport } = await import('../src/report/render-report.ts');
  const dir = mkdtempSync(join(tmpdir(), 'mns-rep-'));
  await allCells(join(dir, 'r.db'), undefined, overrides);
  const store = new ResultStore(join(dir, 'r.db'));
  const data = loadReportData(store, 'run')!;
  store.close();
  const { fidelityNotesFor } = await import('../src/report/fidelity-notes.ts');
  await writeReport(data, join(dir, 'out'), fidelityNotesFor(data.config));
  return join(dir, 'out');
}
