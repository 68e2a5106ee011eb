import { describe, expect, it } from 'vitest';
import { argmaxRows, imageSpace } from '@mixnsqueeze/core';
import { Cw2 } from '../src/attacks/cw2.ts';
import { GradientSurface } from '../src/surfaces/gradient-surface.ts';
import { PooledTwoLayer, TwoLayer, binaryishImages } from './tiny-models.ts';

const space = imageSpace(6, 6, 1);
const x = binaryishImages(12, 7);

describe('lanes: independent samples run as concurrent sub-batches on a pool model', () => {
  it('a deterministic pool model gets one lane per worker; a randomized one, or one without workers, one lane', () => {
    expect(new GradientSurface(new PooledTwoLayer(space, 12, 4, 3), 'exact').lanes).toBe(2);
    expect(new GradientSurface(new TwoLayer(space, 12, 4, 3), 'exact').lanes).toBe(1);
    const randomized = Object.assign(new PooledTwoLayer(space, 12, 4, 3), { stochastic: true });
    expect(new GradientSurface(randomized as unknown as TwoLayer, 'eot', 4).lanes).toBe(1);
  });

  it('CW-2 in two lanes returns exactly what it returns in one batch (abort early and binary search included)', async () => {
    const plain = new TwoLayer(space, 12, 4, 3);
    const pooled = new PooledTwoLayer(space, 12, 4, 3);
    const labels = argmaxRows(await plain.predict(x));
    const attack = () => new Cw2({ confidence: 0, lr: 0.05, iterations: 40, binarySteps: 3, initialConst: 1e-2, abortEarly: true });
    const one = await attack().run(plain, x, labels, { target: 'next' });
    const two = await attack().run(pooled, x, labels, { target: 'next' });
    expect(two.adversarial.data).toEqual(one.adversarial.data);
    expect(two.success).toEqual(one.success);
    expect(two.queries).toEqual(one.queries);
    expect(one.success.some((s) => s === 1)).toBe(true);
    // The lanes did run: gradient calls on half the batch (6 of 12), fewer once samples abort.
    expect(pooled.gradientBatches[0]).toBe(6);
    expect(Math.max(...pooled.gradientBatches)).toBeLessThanOrEqual(6);
  });
});
