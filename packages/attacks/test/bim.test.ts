import { describe, expect, it } from 'vitest';
import { type Batch, ParameterError, Registry, argmaxRows, sampleSize } from '@mixnsqueeze/core';
import { BitDepth, defend } from '@mixnsqueeze/squeezers';
import { Bim } from '../src/attacks/bim.ts';
import { Fgsm } from '../src/attacks/fgsm.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { linearModel, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';
import { type TwoLayer, binaryishImages, imageModel } from './tiny-models.ts';

const registry = new Registry().use(attacksPlugin);

describe('bim', () => {
  it('with one step of size eps is FGSM', async () => {
    const model = mlpModel();
    const x = tabularInputs(8);
    const labels = await ownLabels(model, x);
    const bim = await new Bim({ eps: 0.2, step: 0.2, steps: 1 }).run(model, x, labels);
    const fgsm = await new Fgsm({ eps: 0.2 }).run(model, x, labels);
    // Up to float32 rounding: BIM goes through eta = (x + step) - x, as cleverhans does.
    for (let i = 0; i < x.data.length; i++) expect(bim.adversarial.data[i]).toBeCloseTo(fgsm.adversarial.data[i]!, 6);
  });

  it('raises the loss step after step on a linear model, within the eps-ball, one gradient per step', async () => {
    const model = linearModel();
    const x = tabularInputs(8);
    const r = await new Bim({ eps: 0.3, step: 0.02, steps: 10 }).run(model, x, await ownLabels(model, x));
    const curve = r.lossPerStep!;
    expect(curve.length).toBe(10);
    for (let t = 1; t < curve.length; t++) expect(curve[t]).toBeGreaterThan(curve[t - 1]!);
    expect(Math.max(...r.perturbationNorms.linf)).toBeLessThanOrEqual(0.3 + 1e-6);
    // One forward pass for the predicted labels, one per step, one for the final classification.
    expect(r.queries).toEqual({ forward: 8 + 8 * 10 + 8, gradient: 8 * 10 });
  });

  it('targets the least-likely class (Kurakin et al.\'s iterative LL method)', async () => {
    const model = linearModel();
    const x = tabularInputs(8);
    const r = await new Bim({ eps: 0.3, step: 0.06, steps: 10 }).run(model, x, await ownLabels(model, x), { target: 'll' });
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(6);
  });

  it('has the presets of the reference evaluation', () => {
    const reference = { labels: 'predicted', softmax: 'float32', clip: 'end' };
    expect(registry.create<Bim>('attack', 'bim:mnist').params).toEqual({ eps: 0.3, step: 0.06, steps: 10, ...reference });
    expect(registry.create<Bim>('attack', 'bim:cifar10').params).toEqual({ eps: 0.008, step: 0.0012, steps: 10, ...reference });
    expect(registry.create<Bim>('attack', 'bim:imagenet').params).toEqual({ eps: 0.004, step: 0.002, steps: 10, ...reference });
    expect(registry.create<Bim>('attack', 'bim').params).toEqual({ eps: 0.3, step: 0.06, steps: 10, ...reference });
    expect(registry.create<Bim>('attack', 'bim:preset=mnist,clip=step').spec).toBe('bim:eps=0.3,step=0.06,steps=10,labels=predicted,softmax=float32,clip=step');
  });

  /**
   * cleverhans 2017's BasicIterativeMethod loop, written out independently (float64 softmax, the
   * given labels): eta = 0; eta = clip((x + eta) + alpha sign g(x + eta) - x, -eps, eps) in float32,
   * the model evaluated at x + eta unclipped; the bounds only on x + eta at the end.
   */
  async function cleverhansBim(model: TwoLayer, x: Batch, labels: Int32Array, eps: number, alpha: number, steps: number): Promise<Float32Array> {
    const f = Math.fround;
    const n = x.shape[0]!;
    const k = model.classes;
    const eta = new Float32Array(x.data.length);
    const at = new Float32Array(x.data.length);
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < at.length; i++) at[i] = f(x.data[i]! + eta[i]!);
      const z = (await model.predict({ data: at, shape: x.shape })).data;
      const seed = new Float32Array(n * k);
      for (let i = 0; i < n; i++) {
        const m = Math.max(...z.subarray(i * k, i * k + k));
        let s = 0;
        for (let j = 0; j < k; j++) s += Math.exp(z[i * k + j]! - m);
        for (let j = 0; j < k; j++) seed[i * k + j] = Math.exp(z[i * k + j]! - m) / s - (j === labels[i] ? 1 : 0);
      }
      const g = (await model.vjp({ data: at, shape: x.shape }, { data: seed, shape: [n, k] })).data;
      for (let i = 0; i < eta.length; i++) {
        const moved = f(at[i]! + f(alpha) * Math.sign(g[i]!));
        eta[i] = Math.min(f(eps), Math.max(-f(eps), f(moved - x.data[i]!)));
      }
    }
    return Float32Array.from(eta, (e, i) => Math.min(1, Math.max(0, f(x.data[i]! + e))));
  }

  it('clips to the bounds only at the end, as cleverhans: the model sees iterates below 0, and later steps change', async () => {
    const model = mlpModel();
    // Values down to 0.05: eps 0.3 reaches below 0.
    const x = { data: Float32Array.from(tabularInputs(8).data, (v) => (v - 0.2) / 0.6 * 0.5 + 0.05), shape: [8, 12] };
    const labels = await ownLabels(model, x);
    const settings = { eps: 0.3, step: 0.06, steps: 10, softmax: 'float64', labels: 'given' } as const;
    const end = await new Bim(settings).run(model, x, labels);
    const reference = await cleverhansBim(model, x, labels, 0.3, 0.06, 10);
    for (let i = 0; i < reference.length; i++) expect(end.adversarial.data[i]).toBeCloseTo(reference[i]!, 6);
    const step = await new Bim({ ...settings, clip: 'step' }).run(model, x, labels);
    const differ = step.adversarial.data.filter((v, i) => Math.abs(v - reference[i]!) > 1e-3).length;
    expect(differ).toBeGreaterThan(0);
  });

  it('with clip=end refuses, naming clip=step, a model that rejects inputs outside its bounds (a defense)', async () => {
    const defended = defend(imageModel(), { squeeze: [new BitDepth(1)] });
    const x = binaryishImages(4, 3);
    const labels = argmaxRows(await defended.predict(x));
    await expect(new Bim({ steps: 3 }).run(defended, x, labels)).rejects.toThrow(ParameterError);
    await expect(new Bim({ steps: 3 }).run(defended, x, labels)).rejects.toThrow(/clip=step/);
    const r = await new Bim({ steps: 3, clip: 'step' }).run(defended, x, labels);
    expect(r.adversarial.shape).toEqual(x.shape);
    expect(sampleSize(r.adversarial.shape)).toBe(36);
  });
});
