import { describe, expect, it } from 'vitest';
import { type Batch, type Classifier, derivedKeys, imageSpace, sampleSize } from '@mixnsqueeze/core';
import { BitDepth, Median, UniformNoise, defend } from '@mixnsqueeze/squeezers';
import { type LogitLoss, crossEntropyLoss } from '../src/loss.ts';
import { linearLogitLoss } from '../src/logit-gradients.ts';
import { makeSurface } from '../src/surfaces/make-surface.ts';
import { linearModel, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

/** Central finite differences of the summed loss, feature by feature (h = 1e-3). */
async function finiteDifferences(lossAt: (x: Batch) => Promise<Float64Array>, x: Batch, h = 1e-3): Promise<Float64Array> {
  const n = x.shape[0]!;
  const d = sampleSize(x.shape);
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const plus = x.data.slice();
    const minus = x.data.slice();
    for (let i = 0; i < n; i++) {
      plus[i * d + j] += h;
      minus[i * d + j] -= h;
    }
    const lp = await lossAt({ data: plus, shape: x.shape });
    const lm = await lossAt({ data: minus, shape: x.shape });
    for (let i = 0; i < n; i++) out[i * d + j] = (lp[i]! - lm[i]!) / (2 * h);
  }
  return out;
}

function lossOf(model: Classifier, loss: LogitLoss): (x: Batch) => Promise<Float64Array> {
  return async (x) => {
    const logits = await model.predict(x);
    const v = new Float64Array(x.shape[0]!);
    loss.evaluate(logits, v, new Float32Array(logits.data.length));
    return v;
  };
}

/** Float32 logits make a difference quotient with h = 1e-3 good to about 1e-3 absolute. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, abs = 3e-3, rel = 1e-2): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(abs + rel * Math.abs(expected[i]!));
}

function relativeError(estimate: ArrayLike<number>, exact: ArrayLike<number>): { error: number; cosine: number } {
  let diff = 0;
  let norm = 0;
  let dot = 0;
  let ne = 0;
  for (let i = 0; i < exact.length; i++) {
    diff += (estimate[i]! - exact[i]!) ** 2;
    norm += exact[i]! ** 2;
    dot += estimate[i]! * exact[i]!;
    ne += estimate[i]! ** 2;
  }
  return { error: Math.sqrt(diff / norm), cosine: dot / Math.sqrt(norm * ne) };
}

describe('exact surface', () => {
  it('matches finite differences of the cross-entropy on the 2-layer model', async () => {
    const model = mlpModel();
    const x = tabularInputs(3);
    const loss = crossEntropyLoss(await ownLabels(model, x));
    const { grad, value } = await makeSurface(model, 'exact', '0').lossAndGradient(x, loss);
    expectClose(grad.data, await finiteDifferences(lossOf(model, loss), x));
    expectClose(value, await lossOf(model, loss)(x), 1e-9, 0);
  });
});

describe('bpda surface', () => {
  // Distinct values 0.05 apart: a 1e-3 probe never changes which element a median window selects.
  const space = imageSpace(4, 4, 1);
  const x: Batch = { data: Float32Array.from([3, 11, 7, 0, 14, 5, 9, 12, 1, 15, 6, 2, 10, 4, 13, 8], (v) => 0.1 + 0.05 * v), shape: [1, 4, 4, 1] };

  it('through median 2x2 is the exact gradient of the composition (finite differences)', async () => {
    const defense = defend(mlpModel(space), { squeeze: [new Median(2)] });
    const loss = crossEntropyLoss(await ownLabels(defense, x));
    const { grad } = await makeSurface(defense, 'bpda', '0').lossAndGradient(x, loss);
    expectClose(grad.data, await finiteDifferences(lossOf(defense, loss), x));
  });

  it('through bit depth is the identity: the model gradient at the squeezed input', async () => {
    const model = mlpModel(space);
    const squeeze = new BitDepth(3);
    const defense = defend(model, { squeeze: [squeeze] });
    const loss = crossEntropyLoss(await ownLabels(defense, x));
    const { grad } = await makeSurface(defense, 'bpda', '0').lossAndGradient(x, loss);
    const atSqueezed = await makeSurface(model, 'exact', '0').lossAndGradient(squeeze.apply(x, space), loss);
    expectClose(grad.data, atSqueezed.grad.data, 1e-6, 0);
    expect(() => makeSurface(defense, 'exact', '0')).toThrow(/bpda/);
  });
});

describe('eot surface', () => {
  const seed = '00112233445566778899aabbccddeeff';
  const k = 8;
  const randomized = () => defend(mlpModel(), { randomize: new UniformNoise(0.1), keys: derivedKeys(seed) });
  const x = tabularInputs(3);

  it('is the mean of k single-draw gradients, each forward and backward through one draw', async () => {
    const labels = await ownLabels(mlpModel(), x);
    const loss = crossEntropyLoss(labels);
    const eot = await makeSurface(randomized(), `eot:${k}`, '0').lossAndGradient(x, loss);
    const replay = randomized();
    const mean = new Float64Array(eot.grad.data.length);
    for (let q = 0; q < k; q++) {
      const { grad } = await replay.vjpWith(x, (logits) => {
        const g = new Float32Array(logits.data.length);
        loss.evaluate(logits, new Float64Array(3), g);
        return { data: g, shape: logits.shape };
      });
      for (let i = 0; i < mean.length; i++) mean[i] += grad.data[i]! / k;
    }
    expectClose(eot.grad.data, mean, 1e-6, 1e-5);
  });

  it('matches finite differences of the expected loss over the same k draws (common random numbers)', async () => {
    const loss = crossEntropyLoss(await ownLabels(mlpModel(), x));
    const eot = await makeSurface(randomized(), `eot:${k}`, '0').lossAndGradient(x, loss);
    // x +- h e_j through fresh defenses with the same seed: draw q of each sees the same noise.
    const expected = async (at: Batch) => {
      const defense = randomized();
      const sum = new Float64Array(3);
      for (let q = 0; q < k; q++) (await lossOf(defense, loss)(at)).forEach((v, i) => (sum[i] += v / k));
      return sum;
    };
    expectClose(eot.grad.data, await finiteDifferences(expected, x));
    expectClose(eot.value, await expected(x), 1e-6, 1e-6);
  });
});

describe('estimated surfaces (spsa, nes)', () => {
  const model = linearModel();
  const x = tabularInputs(3);
  // A loss linear in the logits (z_0 - z_2): both estimators are unbiased for it, so only their
  // variance, about sqrt(d / samples) = 8% of the norm with 2000 samples, separates them from W^T c.
  const coef = Float32Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? 1 : i % 4 === 2 ? -1 : 0));

  for (const kind of ['spsa', 'nes'] as const) {
    it(`${kind}: estimates the gradient of a linear loss within 20% (2000 samples, fixed seed)`, async () => {
      const exact = await makeSurface(model, 'exact', '0').lossAndGradient(x, linearLogitLoss(coef));
      const estimate = await makeSurface(model, `${kind}:samples=2000,step=0.01`, '7').lossAndGradient(x, linearLogitLoss(coef));
      const { error, cosine } = relativeError(estimate.grad.data, exact.grad.data);
      expect(error).toBeLessThan(0.2);
      expect(cosine).toBeGreaterThan(0.98);
      expectClose(estimate.value, exact.value, 1e-6, 1e-6);
    });

    it(`${kind}: follows the cross-entropy of the 2-layer model (cosine > 0.95, 2000 samples)`, async () => {
      const mlp = mlpModel();
      const loss = crossEntropyLoss(await ownLabels(mlp, x));
      const exact = await makeSurface(mlp, 'exact', '0').lossAndGradient(x, loss);
      const estimate = await makeSurface(mlp, `${kind}:samples=2000,step=0.005`, '7').lossAndGradient(x, loss);
      expect(relativeError(estimate.grad.data, exact.grad.data).cosine).toBeGreaterThan(0.95);
    });
  }

  it('counts 2 * samples + 1 forward queries per input and no gradients', async () => {
    const surface = makeSurface(model, 'spsa:samples=5', '0');
    await surface.lossAndGradient(x, linearLogitLoss(coef));
    expect(surface.counts).toEqual({ forward: 3 * 11, gradient: 0 });
  });
});
