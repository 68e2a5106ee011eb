import { describe, expect, it } from 'vitest';
import { LinearClassifier, ParameterError, Registry, argmaxRows, featureSpace, imageSpace } from '@mixnsqueeze/core';
import { Jsma } from '../src/attacks/jsma.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { linearModel, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';
import { PooledTwoLayer, TwoLayer, binaryishImages } from './tiny-models.ts';

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
    const reference = { theta: 1, gamma: 0.1, jacobian: 'probabilities', softmax: 'float32' };
    expect(registry.create<Jsma>('attack', 'jsma:mnist').params).toEqual(reference);
    expect(registry.create<Jsma>('attack', 'jsma:cifar10').params).toEqual(reference);
    expect(registry.create<Jsma>('attack', 'jsma:preset=mnist,jacobian=logits').spec).toBe('jsma:theta=1,gamma=0.1,jacobian=logits,softmax=float32');
    expect(() => registry.create('attack', 'jsma:theta=0')).toThrow(/theta/);
  });
});

/**
 * cleverhans 2017's choice of the first pair, written out independently of the attack: the model's
 * softmax in float32 as TensorFlow computes it (or float64), the Jacobian row of every class
 * (tf.gradients(probs[:, j], x) = W^T ((e_j - p_j) * p)), the other classes' rows summed in float32
 * (np.sum over axis 0), and `saliency_map` on the full nf x nf float32 matrix: features outside the
 * search domain masked with -max|target| / +max|others|, scores masked by the conditions, diagonal
 * zeroed, numpy's argmax in row-major order, p1 = best % nf, p2 = best // nf.
 */
function cleverhansFirstPair(model: LinearClassifier, x: Float32Array, target: number, softmax: 'float32' | 'float64'): [number, number] {
  const f = softmax === 'float32' ? Math.fround : (v: number) => v;
  const k = model.classes;
  const nf = x.length;
  const z = Array.from({ length: k }, (_, c) => Math.fround(model.bias[c]! + x.reduce((s, v, j) => s + model.weights[c * nf + j]! * v, 0)));
  const m = Math.max(...z);
  const e = z.map((v) => f(Math.exp(f(v - m))));
  const inv = f(1 / e.reduce((s, v) => f(s + v), 0));
  const p = e.map((v) => f(v * inv));
  const rows = p.map((pj, j) => {
    const seed = p.map((pc, c) => f(f((c === j ? 1 : 0) - pj) * pc));
    return Array.from({ length: nf }, (_, q) => Math.fround(seed.reduce((s, g, c) => s + g * model.weights[c * nf + q]!, 0)));
  });
  const gt = rows[target]!.slice();
  const go = new Array<number>(nf).fill(0);
  rows.forEach((r, j) => j !== target && r.forEach((v, q) => (go[q] = Math.fround(go[q]! + v))));
  const invalid = Array.from(x, (v) => v >= 1);
  const maxT = Math.max(...gt.map(Math.abs));
  const maxO = Math.max(...go.map(Math.abs));
  invalid.forEach((bad, q) => bad && ((gt[q] = -maxT), (go[q] = maxO)));
  let best = 0;
  let at = 0;
  for (let r = 0; r < nf; r++)
    for (let c = 0; c < nf; c++) {
      const ts = Math.fround(gt[r]! + gt[c]!);
      const os = Math.fround(go[r]! + go[c]!);
      const score = r === c || !(ts > 0 && os < 0) ? 0 : Math.fround(-ts * os);
      if (score > best) [best, at] = [score, r * nf + c];
    }
  return [at % nf, Math.floor(at / nf)];
}

describe('jsma as cleverhans 2017 runs it on the softmax output', () => {
  // logits = W x + b, 6 features in [0, 1], 3 classes; feature 5 starts at 1 (outside the domain).
  // At x the top class 0 has p_0 = 1.0 exactly in float32; the target 1 has p_1 = e^-35, class 2 p_2 = e^-25.
  const space = featureSpace([6]);
  const W0 = [-3, -3, 1, 2, 0.5, 5];
  const W1 = [0.5, 0.1, 2, 2.5, 0.6, 10];
  const model = new LinearClassifier(space, Float64Array.from([...W0, ...W1, 0, 0, 0, 0, 0, 0]), Float64Array.of(40, 0, 20));
  const x = { data: Float32Array.of(0, 0, 0, 0, 0, 1), shape: [1, 6] };
  const labels = Int32Array.of(0);
  const changed = (adv: Float32Array) => Array.from(adv, (v, j) => (v !== x.data[j] ? j : -1)).filter((j) => j >= 0);
  // gamma 0.34: floor(6 * 0.34 / 2) = 1 iteration, one pair.
  const once = (params: object) => new Jsma({ theta: 1, gamma: 0.34, ...params }).run(model, x, labels, { target: 'next' });

  it('picks the pair of the float32 probability Jacobian (default), not the exact one, not the logit one', async () => {
    // Exactly, d(sum of the others)/dx = -d p_1/dx and the best pair is the top two of W1 - W0: {0, 1}.
    // In float32 the row of class 0 loses its (1 - p_0) p_0 term, the others' row is about -p_2 W0,
    // and only features with W1 > W0 > 0 qualify: {2, 3}. The logits' saliency picks {0, 2}.
    const [p1, p2] = cleverhansFirstPair(model, x.data, 1, 'float32');
    expect([p2, p1]).toEqual([2, 3]);
    expect(changed((await once({})).adversarial.data)).toEqual([2, 3]);
    expect(cleverhansFirstPair(model, x.data, 1, 'float64').sort()).toEqual([0, 1]);
    expect(changed((await once({ softmax: 'float64' })).adversarial.data)).toEqual([0, 1]);
    expect(changed((await once({ jacobian: 'logits' })).adversarial.data)).toEqual([0, 2]);
  });

  it('where no pair qualifies, numpy argmax of the all-zero map moves feature 0 and the loop goes on (the logit reading stops)', async () => {
    // W1 < W0 everywhere: no pair raises p_1 (nor z_1), in float32 or exactly.
    const flat = new LinearClassifier(space, Float64Array.from([-1, -2, -3, -1, -2, -3, -5, -5, -5, -5, -5, -5, 0, 0, 0, 0, 0, 0]), Float64Array.of(40, 0, 20));
    const zeros = { data: new Float32Array(6), shape: [1, 6] };
    expect(cleverhansFirstPair(flat, zeros.data, 1, 'float32')).toEqual([0, 0]);
    // gamma 0.67: 2 iterations; both fall back to feature 0 (the second finds it at the bound already).
    const r = await new Jsma({ theta: 1, gamma: 0.67 }).run(flat, zeros, labels, { target: 'next' });
    expect(Array.from(r.adversarial.data)).toEqual([1, 0, 0, 0, 0, 0]);
    expect(r.queries.gradient).toBe(2 * 2);
    const old = await new Jsma({ theta: 1, gamma: 0.67, jacobian: 'logits' }).run(flat, zeros, labels, { target: 'next' });
    expect(Array.from(old.adversarial.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(old.queries.gradient).toBe(2);
  });
});

describe('jsma on a pool model', () => {
  it('runs one lane per worker and returns exactly what one batch returns, in both readings', async () => {
    const space = imageSpace(6, 6, 1);
    const x = binaryishImages(12, 7);
    const plain = new TwoLayer(space, 12, 4, 3);
    const labels = argmaxRows(await plain.predict(x));
    for (const params of [{}, { jacobian: 'logits' as const }, { theta: -1 }]) {
      const pooled = new PooledTwoLayer(space, 12, 4, 3);
      const one = await new Jsma({ gamma: 0.5, ...params }).run(plain, x, labels, { target: 'next' });
      const two = await new Jsma({ gamma: 0.5, ...params }).run(pooled, x, labels, { target: 'next' });
      expect(two.adversarial.data).toEqual(one.adversarial.data);
      expect(two.queries).toEqual(one.queries);
      expect(one.perturbationNorms.l0.some((l0) => l0 > 2)).toBe(true);
      // The lanes did run: 2 rows for each of 6 samples, fewer as samples reach their targets.
      expect(pooled.gradientBatches[0]).toBe(12);
      expect(Math.max(...pooled.gradientBatches)).toBe(12);
    }
  });
});
