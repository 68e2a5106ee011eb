import { describe, expect, it } from 'vitest';
import { CapabilityError, type Classifier, LinearClassifier, ParameterError, Registry, argmaxRows, featureSpace } from '@mixnsqueeze/core';
import { Bim } from '../src/attacks/bim.ts';
import { Fgsm } from '../src/attacks/fgsm.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { crossEntropyLoss } from '../src/loss.ts';

const space = featureSpace([6]);
const model = new LinearClassifier(space, Float64Array.from({ length: 18 }, (_, i) => Math.sin(i * 2.1) * 3), Float64Array.of(0, 0.1, -0.1));
const x = { data: Float32Array.from({ length: 8 * 6 }, (_, i) => 0.3 + 0.4 * Math.abs(Math.sin(i * 0.7))), shape: [8, 6] };

describe('fgsm as cleverhans 2017 computes it (EvadeML-Zoo: y = None, softmax output, float32)', () => {
  // logits = W x + b, 4 features, 3 classes, at x = 0.5: z = (31, 11.75, 0). In float32 the top
  // probability p_0 = 1 / (1 + e^-19.25 + e^-31) rounds to exactly 1.0.
  const space4 = featureSpace([4]);
  const W0 = [1, -1, 1, 1];
  const W1 = [2, 2, -1, 0.5];
  const saturated = new LinearClassifier(space4, Float64Array.from([...W0, ...W1, 0, 0, 0, 0]), Float64Array.of(30, 10, 0));
  const half = { data: new Float32Array(4).fill(0.5), shape: [1, 4] };

  it("steps along TensorFlow's float32 cross-entropy gradient: p_0 = 1.0 drops the -grad z_0 term", async () => {
    // TensorFlow: dL/dz = (p_0 - 1, p_1, p_2) = (0, 4.4e-9, 3.4e-14), so grad_x = p_1 W1 + p_2 W2: signs (+, +, -, +).
    // Exactly: p_1 (W1 - W0) + p_2 (W2 - W0): signs (+, +, -, -).
    const r = await new Fgsm({ eps: 0.2 }).run(saturated, half, Int32Array.of(0));
    expect(Array.from(r.adversarial.data)).toEqual([0.7, 0.7, 0.3, 0.7].map(Math.fround));
    // The exact gradient of the given label (this FGSM before it followed the reference) is BIM's one step in float64.
    const exact = await new Bim({ eps: 0.2, step: 0.2, steps: 1, softmax: 'float64', labels: 'given', clip: 'step' }).run(saturated, half, Int32Array.of(0));
    expect(Array.from(exact.adversarial.data)).toEqual([0.7, 0.7, 0.3, 0.3].map(Math.fround));
  });

  it("uses the model's own prediction as the label (y = None), whatever labels are given, in the same forward pass", async () => {
    const own = await new Fgsm({ eps: 0.2 }).run(saturated, half, Int32Array.of(0));
    const wrong = await new Fgsm({ eps: 0.2 }).run(saturated, half, Int32Array.of(2));
    expect(wrong.adversarial.data).toEqual(own.adversarial.data);
    expect(wrong.queries).toEqual({ forward: 2, gradient: 1 });
  });
});

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
