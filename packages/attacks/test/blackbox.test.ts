import { describe, expect, it } from 'vitest';
import { SpsaPgd, type SpsaParams } from '../src/attacks/spsa-pgd.ts';
import { linearModel, logitsOnly, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

const params: SpsaParams = { eps: 0.3, steps: 20, lr: 0.03, samples: 16, delta: 0.01, earlyStop: true };

describe('spsa-pgd (black box)', () => {
  const x = tabularInputs(16);

  it('fools a logits-only model with forward queries only, inside the eps-ball', async () => {
    const model = logitsOnly(mlpModel());
    const labels = await ownLabels(model, x);
    const r = await new SpsaPgd(params).run(model, x, labels, { seed: '1' });
    expect(r.surface).toBe('spsa:samples=16,step=0.01');
    expect(r.queries.gradient).toBe(0);
    expect(r.queries.forward).toBeLessThanOrEqual(16 * 20 * 33 + 16);
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...r.perturbationNorms.linf)).toBeLessThanOrEqual(0.3 + 1e-6);
  });

  it('estimates even when gradients exist, unless a surface is named', async () => {
    const model = linearModel();
    const labels = await ownLabels(model, x);
    expect((await new SpsaPgd(params).run(model, x, labels)).surface).toBe('spsa:samples=16,step=0.01');
    const exact = await new SpsaPgd(params).run(model, x, labels, { surface: 'exact' });
    expect(exact.surface).toBe('exact');
    expect(exact.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(14);
  });

  it('early stopping freezes adversarial samples and saves queries', async () => {
    const model = linearModel();
    const labels = await ownLabels(model, x);
    const early = await new SpsaPgd(params).run(model, x, labels, { seed: '2' });
    const full = await new SpsaPgd({ ...params, earlyStop: false }).run(model, x, labels, { seed: '2' });
    expect(early.queries.forward).toBeLessThan(full.queries.forward);
    expect(full.queries.forward).toBe(16 * 20 * 33 + 16);
  });

  it('reaches targets (next) more often than chance', async () => {
    const model = logitsOnly(mlpModel());
    const r = await new SpsaPgd({ ...params, steps: 30 }).run(model, x, await ownLabels(model, x), { seed: '3', target: 'next' });
    expect(r.success.reduce((a, b) => a + b, 0) / 16).toBeGreaterThan(0.25);
  });
});
