import { describe, expect, it } from 'vitest';
import { LinearClassifier, ParameterError, Registry, featureSpace } from '@mixnsqueeze/core';
import { DeepFool, type DeepFoolParams } from '../src/attacks/deepfool.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { linearModel, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

const params: DeepFoolParams = { candidates: 10, steps: 50, overshoot: 0, scores: 'logits' };

describe('deepfool', () => {
  it('on a 2-class linear model steps exactly to the boundary: |f(x)| / ||w|| + 1e-4', async () => {
    const space = featureSpace([5], [-10, 10]);
    const w = Float64Array.of(1, -2, 0.5, 3, -1, -1, 2, -0.5, -3, 1);
    const model = new LinearClassifier(space, w, Float64Array.of(0.3, -0.3));
    const x = { data: Float32Array.of(0.2, 0.1, -0.3, 0.4, 0.5, -0.1, 0.2, 0.3, -0.2, 0.1), shape: [2, 5] };
    const labels = await ownLabels(model, x);
    const r = await new DeepFool(params).run(model, x, labels);
    const logits = await model.predict(x);
    for (let i = 0; i < 2; i++) {
      // f = z_other - z_label is linear with gradient +-(w_1 - w_0); the step is its distance.
      const f = Math.abs(logits.data[2 * i]! - logits.data[2 * i + 1]!);
      let norm = 0;
      for (let j = 0; j < 5; j++) norm += (w[5 + j]! - w[j]!) ** 2;
      expect(r.perturbationNorms.l2[i]).toBeCloseTo(f / Math.sqrt(norm) + 1e-4, 4);
    }
    expect(r.success).toEqual(Uint8Array.of(1, 1));
  });

  it('overshoot scales the total perturbation by 1 + overshoot', async () => {
    const model = linearModel();
    const x = tabularInputs(6);
    const labels = await ownLabels(model, x);
    const plain = await new DeepFool({ ...params, steps: 1 }).run(model, x, labels);
    const over = await new DeepFool({ ...params, steps: 1, overshoot: 0.5 }).run(model, x, labels);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 12; j++) {
        const v = over.adversarial.data[i * 12 + j]!;
        if (v > 0 && v < 1) expect(v - x.data[i * 12 + j]!).toBeCloseTo(1.5 * (plain.adversarial.data[i * 12 + j]! - x.data[i * 12 + j]!), 5);
      }
    }
  });

  it('fools the 2-layer model with small L2 perturbations, and is untargeted only', async () => {
    const model = mlpModel();
    const x = tabularInputs(16);
    const labels = await ownLabels(model, x);
    const r = await new DeepFool({ ...params, overshoot: 0.02 }).run(model, x, labels);
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(15);
    await expect(new DeepFool(params).run(model, x, labels, { target: 'next' })).rejects.toThrow(ParameterError);
  });

  it('presets reproduce the reference runs: overshoot 10 / 35 on probability differences', () => {
    const registry = new Registry().use(attacksPlugin);
    expect(registry.create<DeepFool>('attack', 'deepfool:cifar10').params).toEqual({ candidates: 10, steps: 50, overshoot: 10, scores: 'probabilities' });
    expect(registry.create<DeepFool>('attack', 'deepfool:imagenet').params.overshoot).toBe(35);
    expect(registry.create<DeepFool>('attack', 'deepfool').params).toEqual({ candidates: 10, steps: 50, overshoot: 0.02, scores: 'logits' });
  });
});
