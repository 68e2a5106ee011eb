import { describe, expect, it } from 'vitest';
import { Registry, derivedKeys } from '@mixnsqueeze/core';
import { UniformNoise, defend } from '@mixnsqueeze/squeezers';
import { EotPgd, type EotPgdParams } from '../src/attacks/eot-pgd.ts';
import { eotConvergence } from '../src/convergence.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

const params: EotPgdParams = { norm: 'linf', eps: 0.15, step: 0.03, steps: 8, restarts: 1, randomStart: true, k: 4 };
const randomized = (seed = '0123456789abcdef0123456789abcdef') =>
  defend(mlpModel(), { randomize: new UniformNoise(0.3), keys: derivedKeys(seed) });

describe('eot-pgd', () => {
  const x = tabularInputs(12);

  it('runs on eot:k by default on a randomized model, and on the plain default on a deterministic one', async () => {
    const labels = await ownLabels(mlpModel(), x);
    const r = await new EotPgd(params).run(randomized(), x, labels, { seed: '1' });
    expect(r.surface).toBe('eot:4');
    // 8 steps of 4 draws each, plus the final prediction.
    expect(r.queries).toEqual({ forward: 12 * (8 * 4 + 1), gradient: 12 * 8 * 4 });
    expect(r.lossPerStep!.length).toBe(8);
    expect((await new EotPgd(params).run(mlpModel(), x, labels)).surface).toBe('exact');
    expect((await new EotPgd(params).run(randomized(), x, labels, { surface: 'bpda' })).surface).toBe('bpda');
  });

  it('is reproducible when the defense keys and the attack seed are', async () => {
    const labels = await ownLabels(mlpModel(), x);
    const a = await new EotPgd(params).run(randomized(), x, labels, { seed: '3' });
    const b = await new EotPgd(params).run(randomized(), x, labels, { seed: '3' });
    expect(b.adversarial.data).toEqual(a.adversarial.data);
  });

  it('has a preset with the reference PGD settings and k = 30', () => {
    expect(new Registry().use(attacksPlugin).create<EotPgd>('attack', 'eot-pgd:mnist').params).toMatchObject({ eps: 0.3, step: 0.01, steps: 40, k: 30 });
  });
});

describe('eotConvergence', () => {
  const x = tabularInputs(12);

  it('reports loss per step and success against k, and a verdict with its reasons', async () => {
    const labels = await ownLabels(mlpModel(), x);
    const report = await eotConvergence(randomized(), x, labels, { ks: [8, 1, 4], eps: 0.15, step: 0.03, steps: 12, evalDraws: 4, seed: '5' });
    expect(report.runs.map((r) => r.k)).toEqual([1, 4, 8]);
    expect(report.steps).toBe(12);
    expect(report.samples).toBe(12);
    for (const run of report.runs) {
      expect(run.lossPerStep.length).toBe(12);
      expect(run.successRate).toBeGreaterThanOrEqual(0);
      expect(run.successRate).toBeLessThanOrEqual(1);
      expect(run.queries.gradient).toBe(12 * 12 * run.k);
      expect(Number.isFinite(run.lateGain)).toBe(true);
    }
    // Ascent raises the mean loss from the first step to the last.
    const curve = report.runs[2]!.lossPerStep;
    expect(curve[curve.length - 1]!).toBeGreaterThan(curve[0]!);
    expect(report.notes.length).toBeGreaterThanOrEqual(2);
    expect(typeof report.converged).toBe('boolean');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('says when the model is deterministic and rejects bad options', async () => {
    const labels = await ownLabels(mlpModel(), x);
    const report = await eotConvergence(mlpModel(), x, labels, { ks: [1, 2], steps: 4, evalDraws: 1 });
    expect(report.notes.some((n) => n.includes('deterministic'))).toBe(true);
    // Deterministic: every k follows the same gradients to the same success.
    expect(report.runs[0]!.successRate).toBe(report.runs[1]!.successRate);
    await expect(eotConvergence(mlpModel(), x, labels, { ks: [0] })).rejects.toThrow(/ks/);
    await expect(eotConvergence(mlpModel(), x, labels, { steps: 0 })).rejects.toThrow(/steps/);
  });
});
