import { describe, expect, it } from 'vitest';
import { ParameterError, Registry, argmaxRows } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { RowAdam } from '../src/adam.ts';
import { ConstSearch } from '../src/binary-search.ts';
import { ConstRounds } from '../src/const-rounds.ts';
import { Cw0, freezeLeastUseful } from '../src/attacks/cw0.ts';
import { Cw2, type Cw2Params } from '../src/attacks/cw2.ts';
import { CwInf } from '../src/attacks/cwinf.ts';
import { cwSucceeds } from '../src/cw-success.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { TanhBox } from '../src/tanh-space.ts';
import { binaryishImages, imageModel } from './tiny-models.ts';

const model = imageModel();
const x = binaryishImages(12, 7);
const labels = argmaxRows(await model.predict(x));
const cw2 = (p: Partial<Cw2Params>) => new Cw2({ confidence: 0, lr: 0.05, iterations: 60, binarySteps: 3, initialConst: 1e-2, abortEarly: true, ...p });
const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

describe('CW building blocks', () => {
  it('tanh box: the clean input decodes exactly, every w decodes inside the bounds', () => {
    const box = new TanhBox([0, 1]);
    const v = Float32Array.of(0, 1, 0.5, 0.25, 1e-7);
    const w = box.encode(v);
    const out = new Float32Array(5);
    const jac = new Float64Array(5);
    box.decode(w, box.anchor(v), 0, 5, out, jac, 0);
    expect(out).toEqual(v);
    box.decode(Float64Array.of(-40, 40, 3, -3, 0), box.anchor(v), 0, 5, out, jac, 0);
    for (const o of out) expect(o >= 0 && o <= 1).toBe(true);
  });

  it('Adam: the first step moves every coordinate by lr against the gradient sign (TensorFlow form)', () => {
    const adam = new RowAdam(2, 3, 0.01);
    const w = new Float64Array(6);
    adam.step(0, w, Float64Array.of(5, -0.2, 3e-3), 0);
    expect(Array.from(w.subarray(3))).toEqual([0, 0, 0]);
    expect(w[0]).toBeCloseTo(-0.01, 6);
    expect(w[1]).toBeCloseTo(0.01, 6);
    expect(w[2]).toBeCloseTo(-0.01, 4);
  });

  it('binary search on c: x10 until a success, then bisection', () => {
    const s = new ConstSearch(1, 1e-3, 9);
    s.update(Uint8Array.of(0));
    expect(s.c[0]).toBeCloseTo(1e-2);
    s.update(Uint8Array.of(1));
    expect(s.c[0]).toBeCloseTo((1e-3 + 1e-2) / 2);
    s.update(Uint8Array.of(0));
    expect(s.c[0]).toBeCloseTo((5.5e-3 + 1e-2) / 2);
  });

  it('rounds on c (CW-0, CW-inf): c grows after `iterations` steps, or at the first stalled check with abortEarly', () => {
    const full = new ConstRounds(1, 1, 20, 2, 5, false);
    for (let s = 0; s < 19; s++) expect(full.step(0, 1)).toBe(true);
    expect(full.step(0, 1)).toBe(true);
    expect(full.c[0]).toBe(2);
    for (let s = 0; s < 20; s++) full.step(0, 1);
    expect(full.c[0]).toBe(4);
    for (let s = 0; s < 19; s++) full.step(0, 1);
    expect(full.step(0, 1)).toBe(false);

    // Checks every iterations/10 = 2 steps: a falling objective keeps the round going, a flat one ends it.
    const early = new ConstRounds(1, 1, 20, 2, 5, true);
    for (let s = 0; s < 8; s++) expect(early.step(0, 10 - s)).toBe(true);
    expect(early.c[0]).toBe(1);
    early.step(0, 3);
    early.step(0, 3);
    early.step(0, 3);
    expect(early.c[0]).toBe(2);
    // A solution restarts the round at the same c: the next check only sets the reference.
    early.restart(0);
    early.step(0, 100);
    early.step(0, 100);
    expect(early.c[0]).toBe(2);
  });

  it("CW's compare applies kappa against the wanted class", () => {
    const z = Float32Array.of(1, 3, 2.5);
    expect(cwSucceeds(z, 0, 3, 0, undefined, 0)).toBe(true);
    expect(cwSucceeds(z, 0, 3, 0, undefined, 2.5)).toBe(false);
    expect(cwSucceeds(z, 0, 3, 0, 1, 0.4)).toBe(true);
    expect(cwSucceeds(z, 0, 3, 0, 1, 0.6)).toBe(false);
  });
});

describe('CW-2', () => {
  it('fools the model untargeted and targeted, within bounds, with the confidence asked for', async () => {
    const r = await cw2({}).run(model, x, labels);
    expect(count(r.success)).toBe(12);
    const t = await cw2({ confidence: 1, binarySteps: 4 }).run(model, x, labels, { target: 'next' });
    expect(count(t.success)).toBeGreaterThanOrEqual(10);
    const z = await model.predict(t.adversarial);
    t.success.forEach((s, i) => s && expect(cwSucceeds(z.data, i, 4, labels[i]!, t.targets![i], 1 - 1e-4)).toBe(true));
    for (const v of t.adversarial.data) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('keeps the smallest success: more binary steps never give a larger L2 (the first steps are the same)', async () => {
    const a = await cw2({ binarySteps: 2 }).run(model, x, labels);
    const b = await cw2({ binarySteps: 4 }).run(model, x, labels);
    for (let i = 0; i < 12; i++) if (a.success[i]) expect(b.perturbationNorms.l2[i]!).toBeLessThanOrEqual(a.perturbationNorms.l2[i]! + 1e-6);
  });

  it('batches every sample in one model call per iteration; with failure=clean a sample without success is returned clean', async () => {
    const calls = model.calls;
    const r = await cw2({ iterations: 5, binarySteps: 2, abortEarly: false, initialConst: 1e-6, failure: 'clean' }).run(model, x, labels);
    // 2 x 5 iterations (one forward + one vjp each) and the final classification.
    expect(model.calls - calls).toBe(2 * 5 * 2 + 1);
    expect(r.queries).toEqual({ forward: 12 * 10 + 12, gradient: 12 * 10 });
    expect(count(r.success)).toBeLessThan(12);
    r.success.forEach((s, i) => !s && expect(r.perturbationNorms.l2[i]).toBe(0));
  });

  it("a sample without a successful iterate comes back as CW's code returns it: zeros in [-0.5, 0.5], mid-grey here", async () => {
    const targeted = { iterations: 5, binarySteps: 2, abortEarly: false, initialConst: 1e-6 } as const;
    const clean = await cw2({ ...targeted, failure: 'clean' }).run(model, x, labels, { target: 'next' });
    const r = await cw2(targeted).run(model, x, labels, { target: 'next' });
    const failed = clean.success.reduce<number[]>((a, s, i) => (s ? a : [...a, i]), []);
    expect(failed.length).toBeGreaterThan(0);
    for (const i of failed) for (let j = 0; j < 36; j++) expect(r.adversarial.data[i * 36 + j]).toBe(0.5);
    // Successes are untouched by the choice; a grey image is judged by the model like any other.
    clean.success.forEach((s, i) => s && expect(r.adversarial.data.subarray(i * 36, i * 36 + 36)).toEqual(clean.adversarial.data.subarray(i * 36, i * 36 + 36)));
    const grey = argmaxRows(await model.predict({ data: new Float32Array(36).fill(0.5), shape: [1, 6, 6, 1] }))[0]!;
    for (const i of failed) expect(r.success[i]).toBe(Number(r.targets![i] === grey));
  });

  it('is deterministic', async () => {
    const a = await cw2({ binarySteps: 2 }).run(model, x, labels, { target: 'll' });
    const b = await cw2({ binarySteps: 2 }).run(model, x, labels, { target: 'll' });
    expect(b.adversarial.data).toEqual(a.adversarial.data);
  });
});

describe('CW-inf and CW-0', () => {
  it('CW-inf finds small L-inf perturbations, shrinking tau below what CW-2 needs', async () => {
    const inf = await new CwInf({ confidence: 0, lr: 0.02, iterations: 30, initialConst: 1e-2, largestConst: 20, constFactor: 2, decreaseFactor: 0.9, abortEarly: false }).run(model, x, labels);
    const l2 = await cw2({}).run(model, x, labels);
    expect(count(inf.success)).toBe(12);
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(inf.perturbationNorms.linf)).toBeLessThan(mean(l2.perturbationNorms.linf));
  });

  it('CW-0 changes few pixels, targeted too', async () => {
    const p = { confidence: 0, lr: 0.05, iterations: 30, initialConst: 1e-2, largestConst: 2e3, constFactor: 2, abortEarly: false };
    const r = await new Cw0(p).run(model, x, labels);
    expect(count(r.success)).toBe(12);
    const l2 = await cw2({}).run(model, x, labels);
    for (let i = 0; i < 12; i++) expect(r.perturbationNorms.l0[i]!).toBeLessThan(l2.perturbationNorms.l0[i]!);
    const t = await new Cw0(p).run(model, x, labels, { target: 'next' });
    expect(count(t.success)).toBeGreaterThanOrEqual(9);
  });
});

describe('CW-0 pixel freezing', () => {
  it("scores a pixel as CW does, |sum of its channels' changes| * sum of |gradients|: changes that cancel count as none", () => {
    // Two RGB-like pixels of 2 channels: A moved +0.5 / -0.5 (net 0), B moved +0.1 / +0.1.
    const x = new Float32Array(4).fill(0.5);
    const xs = Float32Array.of(1, 0, 0.6, 0.6);
    const g = Float64Array.of(1, 1, 1, 1);
    const frozen = new Uint8Array(4);
    // Two pixels changed: at most ceil(0.3 * sqrt(2)) = 1 frozen per call, the lowest score first.
    expect(freezeLeastUseful(x, xs, g, 0, 0, 4, 2, 1, frozen)).toBe(2);
    expect(Array.from(frozen)).toEqual([1, 1, 0, 0]);
  });
});

describe('abort early in CW-inf and CW-0 rounds', () => {
  it('reaches the same successes with fewer gradient calls than running every failing round to the end', async () => {
    const inf = { confidence: 0, lr: 0.02, iterations: 30, initialConst: 1e-3, largestConst: 20, constFactor: 2, decreaseFactor: 0.9 };
    const slowInf = await new CwInf({ ...inf, abortEarly: false }).run(model, x, labels);
    const fastInf = await new CwInf({ ...inf, abortEarly: true }).run(model, x, labels);
    expect(count(fastInf.success)).toBe(count(slowInf.success));
    expect(fastInf.queries.gradient).toBeLessThan(slowInf.queries.gradient);
    const zero = { confidence: 0, lr: 0.05, iterations: 30, initialConst: 1e-2, largestConst: 2e3, constFactor: 2 };
    const slow0 = await new Cw0({ ...zero, abortEarly: false }).run(model, x, labels);
    const fast0 = await new Cw0({ ...zero, abortEarly: true }).run(model, x, labels);
    expect(count(fast0.success)).toBe(count(slow0.success));
    expect(fast0.queries.gradient).toBeLessThan(slow0.queries.gradient);
  });
});

describe('CW specs', () => {
  const r = new Registry().use(squeezersPlugin).use(attacksPlugin);
  it('presets carry the reference settings; parameters are validated by name', () => {
    expect(r.create<Cw2>('attack', 'cw2:mnist').params).toMatchObject({ confidence: 10, iterations: 1000, binarySteps: 9, initialConst: 1e-3, lr: 0.01 });
    expect(r.create<Cw2>('attack', 'cw2:cifar10').params.confidence).toBe(5);
    expect(r.create<CwInf>('attack', 'cwinf:mnist').params).toMatchObject({ lr: 5e-3, initialConst: 1e-5, largestConst: 20, decreaseFactor: 0.9 });
    expect(r.create<Cw0>('attack', 'cw0:imagenet').params).toMatchObject({ confidence: 5, largestConst: 2e6, initialConst: 1e-3 });
    expect(r.create<Cw2>('attack', 'cw2:preset=cifar10,iterations=100,binarySteps=1').spec).toBe(
      'cw2:confidence=5,lr=0.01,iterations=100,binarySteps=1,initialConst=0.001,abortEarly=true,failure=midpoint',
    );
    expect(() => r.create('attack', 'cw2:binarySteps=0')).toThrow(/binarySteps/);
    expect(() => r.create('attack', 'cwinf:decreaseFactor=2')).toThrow(ParameterError);
  });
});
