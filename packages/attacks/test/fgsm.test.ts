import { describe, expect, it } from 'vitest';
import { CapabilityError, type Classifier, LinearClassifier, ParameterError, Registry, argmaxRows, featureSpace } from '@mixnsqueeze/core';
import { Fgsm } from '../src/attacks/fgsm.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { crossEntropyLoss } from '../src/loss.ts';

const space = featureSpace([6]);
const model = new LinearClassifier(space, Float64Array.from({ length: 18 }, (_, i) => Math.sin(i * 2.1) * 3), Float64Array.of(0, 0.1, -0.1));
const x = { data: Float32Array.from({ length: 8 * 6 }, (_, i) => 0.3 + 0.4 * Math.abs(Math.sin(i * 0.7))), shape: [8, 6] };

describe('fgsm through the sealed entry point', () => {
  it('moves every feature by exactly eps and raises the (convex) loss of every sample', async () => {
    const labels = argmaxRows(await model.predict(x));
    const r = await new Fgsm({ eps: 0.2 }).run(model, x, labels);
    for (let i = 0; i < x.data.length; i++) {
      const d = Math.abs(r.adversarial.data[i]! - x.data[i]!);
      const v = r.adversarial.data[i]!;
      expect(Math.abs(d - 0.2) < 1e-6 || v === 0 || v === 1).toBe(true);
    }
    // Cross-entropy of a linear model is convex in x: a signed step along its gradient raises it.
    const ce = new Float64Array(8);
    const ceAdv = new Float64Array(8);
    crossEntropyLoss(labels).evaluate(await model.predict(x), ce, new Float32Array(24));
    crossEntropyLoss(labels).evaluate(await model.predict(r.adversarial), ceAdv, new Float32Array(24));
    for (let i = 0; i < 8; i++) expect(ceAdv[i]).toBeGreaterThan(ce[i]!);
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(r.queries).toEqual({ forward: 16, gradient: 8 });
    expect(r.surface).toBe('exact');
    expect(Math.max(...r.perturbationNorms.linf)).toBeLessThanOrEqual(0.2 + 1e-6);
  });

  it('validates labels, targets and capabilities', async () => {
    const labels = argmaxRows(await model.predict(x));
    await expect(new Fgsm({ eps: 0.1 }).run(model, x, labels.subarray(1))).rejects.toThrow(ParameterError);
    await expect(new Fgsm({ eps: 0.1 }).run(model, x, labels.map(() => 7))).rejects.toThrow(/not a class/);
    const logitsOnly: Classifier = { space, classes: 3, stochastic: false, predict: (b) => model.predict(b) };
    await expect(new Fgsm({ eps: 0.1 }).run(logitsOnly, x, labels)).rejects.toThrow(CapabilityError);
    await expect(new Fgsm({ eps: 0.1 }).run(model, x, labels, { surface: 'eot:0' })).rejects.toThrow(/surface 'eot:0'/);
    const est = await new Fgsm({ eps: 0.1 }).run(logitsOnly, x, labels, { surface: 'spsa:samples=64', seed: '1' });
    expect(est.queries.forward).toBe(8 * (2 * 64 + 1) + 8);
  });

  it('resolves from specs and presets', () => {
    const r = new Registry().use(attacksPlugin);
    expect(r.create<Fgsm>('attack', 'fgsm:mnist').params.eps).toBe(0.3);
    expect(r.create<Fgsm>('attack', 'fgsm:cifar10').params.eps).toBe(0.0156);
    expect(r.create<Fgsm>('attack', 'fgsm:preset=imagenet').params.eps).toBe(0.0078);
    expect(r.create<Fgsm>('attack', 'fgsm:preset=imagenet,eps=0.05').params.eps).toBe(0.05);
    expect(() => r.create('attack', 'fgsm:eps=2')).toThrow(/eps/);
    expect(() => r.create('attack', 'fgsm:mnistt')).toThrow(ParameterError);
  });
});
