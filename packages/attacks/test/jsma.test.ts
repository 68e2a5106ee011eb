import { describe, expect, it } from 'vitest';
import { ParameterError, Registry, featureSpace } from '@mixnsqueeze/core';
import { Jsma } from '../src/attacks/jsma.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { linearModel, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

describe('jsma', () => {
  it('sets chosen features to the upper bound in pairs, at most gamma of them, and reaches targets', async () => {
    const model = mlpModel();
    const x = tabularInputs(16);
    const labels = await ownLabels(model, x);
    const r = await new Jsma({ theta: 1, gamma: 0.5 }).run(model, x, labels, { target: 'next' });
    for (let i = 0; i < x.data.length; i++) {
      const v = r.adversarial.data[i]!;
      expect(v === x.data[i] || v === 1).toBe(true);
    }
    for (const l0 of r.perturbationNorms.l0) expect(l0).toBeLessThanOrEqual(6);
    // Chance is 4 of 16.
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThan(4);
  });

  it('theta < 0 lowers features to the lower bound; immutable features never move', async () => {
    const immutable = Uint8Array.from({ length: 12 }, (_, j) => Number(j < 4));
    const space = featureSpace([12], [0, 1], { immutable });
    const model = linearModel(space);
    const x = tabularInputs(8, space);
    const r = await new Jsma({ theta: -1, gamma: 1 }).run(model, x, await ownLabels(model, x), { target: 'll' });
    for (let i = 0; i < x.data.length; i++) {
      const v = r.adversarial.data[i]!;
      if (immutable[i % 12] === 1) expect(v).toBe(x.data[i]);
      else expect(v === x.data[i] || v === 0).toBe(true);
    }
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('two Jacobian rows per sample and iteration, in one batched call', async () => {
    const model = linearModel();
    const x = tabularInputs(4);
    const r = await new Jsma({ theta: 1, gamma: 0.2 }).run(model, x, await ownLabels(model, x), { target: 'next' });
    // gamma 0.2 of 12 features: one iteration (a pair) per sample at most.
    expect(r.queries.gradient).toBeLessThanOrEqual(2 * 4);
    expect(Math.max(...r.perturbationNorms.l0)).toBeLessThanOrEqual(2);
  });

  it('needs a target and has the reference presets', async () => {
    const model = linearModel();
    const x = tabularInputs(2);
    await expect(new Jsma({ theta: 1, gamma: 0.1 }).run(model, x, await ownLabels(model, x))).rejects.toThrow(ParameterError);
    const registry = new Registry().use(attacksPlugin);
    expect(registry.create<Jsma>('attack', 'jsma:mnist').params).toEqual({ theta: 1, gamma: 0.1 });
    expect(registry.create<Jsma>('attack', 'jsma:cifar10').params).toEqual({ theta: 1, gamma: 0.1 });
    expect(() => registry.create('attack', 'jsma:theta=0')).toThrow(/theta/);
  });
});
