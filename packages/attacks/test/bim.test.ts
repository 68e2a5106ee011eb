import { describe, expect, it } from 'vitest';
import { Registry } from '@mixnsqueeze/core';
import { Bim } from '../src/attacks/bim.ts';
import { Fgsm } from '../src/attacks/fgsm.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { linearModel, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

const registry = new Registry().use(attacksPlugin);

describe('bim', () => {
  it('with one step of size eps is FGSM', async () => {
    const model = mlpModel();
    const x = tabularInputs(8);
    const labels = await ownLabels(model, x);
    const bim = await new Bim({ eps: 0.2, step: 0.2, steps: 1 }).run(model, x, labels);
    const fgsm = await new Fgsm({ eps: 0.2 }).run(model, x, labels);
    expect(bim.adversarial.data).toEqual(fgsm.adversarial.data);
  });

  it('raises the loss step after step on a linear model, within the eps-ball, one gradient per step', async () => {
    const model = linearModel();
    const x = tabularInputs(8);
    const r = await new Bim({ eps: 0.3, step: 0.02, steps: 10 }).run(model, x, await ownLabels(model, x));
    const curve = r.lossPerStep!;
    expect(curve.length).toBe(10);
    for (let t = 1; t < curve.length; t++) expect(curve[t]).toBeGreaterThan(curve[t - 1]!);
    expect(Math.max(...r.perturbationNorms.linf)).toBeLessThanOrEqual(0.3 + 1e-6);
    expect(r.queries).toEqual({ forward: 8 * 10 + 8, gradient: 8 * 10 });
  });

  it('targets the least-likely class (Kurakin et al.\'s iterative LL method)', async () => {
    const model = linearModel();
    const x = tabularInputs(8);
    const r = await new Bim({ eps: 0.3, step: 0.06, steps: 10 }).run(model, x, await ownLabels(model, x), { target: 'll' });
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(6);
  });

  it('has the presets of the reference evaluation', () => {
    expect(registry.create<Bim>('attack', 'bim:mnist').params).toEqual({ eps: 0.3, step: 0.06, steps: 10 });
    expect(registry.create<Bim>('attack', 'bim:cifar10').params).toEqual({ eps: 0.008, step: 0.0012, steps: 10 });
    expect(registry.create<Bim>('attack', 'bim:imagenet').params).toEqual({ eps: 0.004, step: 0.002, steps: 10 });
    expect(registry.create<Bim>('attack', 'bim').params).toEqual({ eps: 0.3, step: 0.06, steps: 10 });
  });
});
