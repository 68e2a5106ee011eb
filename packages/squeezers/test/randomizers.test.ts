import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Batch, derivedKeys, featureSpace, imageSpace } from '@mixnsqueeze/core';
import { GaussianNoise } from '../src/gaussian-noise.ts';
import { UniformNoise } from '../src/uniform-noise.ts';

/** A generator under a fixed key per label: the same label gives the same stream. */
const key = (b: number) => derivedKeys('0123456789abcdef0123456789abcdef').fork(`key=${b}`).next();
const constant = (v: number, n: number): Batch => ({ data: new Float32Array(n).fill(v), shape: [1, n] });

describe('uniform randomizer (Mix\'n\'Squeeze)', () => {
  it('delta = 0 is the identity bit for bit', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }), (v) => {
        const x: Batch = { data: Float32Array.from(v), shape: [1, v.length] };
        const r = new UniformNoise(0);
        expect(r.active).toBe(false);
        expect(r.apply(x, featureSpace([v.length]), key(1)).data).toEqual(x.data);
      }),
    );
  });

  it('stays within the bounds and is a pure function of (key, input)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -2, max: 3, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (v, delta) => {
        const space = featureSpace([v.length], [-2, 3]);
        const x: Batch = { data: Float32Array.from(v), shape: [1, v.length] };
        const r = new UniformNoise(delta);
        const a = r.apply(x, space, key(7));
        expect(r.apply(x, space, key(7)).data).toEqual(a.data);
        for (const y of a.data) {
          expect(y).toBeGreaterThanOrEqual(-2);
          expect(y).toBeLessThanOrEqual(3);
        }
      }),
    );
  });

  it('adds U[-delta, +delta] relative to the bound width: mean, spread and flat histogram (fixed key)', () => {
    const n = 200_000;
    const space = featureSpace([n], [0, 2]);
    const x = constant(1, n);
    const d = new UniformNoise(0.2).apply(x, space, key(3)).data;
    // delta 0.2 of width 2 is 0.4 in value units; no clipping happens around 1.
    let mean = 0;
    let min = Infinity;
    let max = -Infinity;
    const bins = new Float64Array(20);
    for (const y of d) {
      const r = y - 1;
      mean += r;
      min = Math.min(min, r);
      max = Math.max(max, r);
      bins[Math.min(19, Math.floor(((r + 0.4) / 0.8) * 20))]!++;
    }
    mean /= n;
    // sd of U[-0.4, 0.4] is 0.231; standard error of the mean 5.2e-4; 5 sigma.
    expect(Math.abs(mean)).toBeLessThan(2.6e-3);
    expect(min).toBeGreaterThanOrEqual(-0.4);
    expect(max).toBeLessThanOrEqual(0.4);
    expect(min).toBeLessThan(-0.399);
    expect(max).toBeGreaterThan(0.399);
    let chi2 = 0;
    for (const b of bins) chi2 += (b - n / 20) ** 2 / (n / 20);
    // 19 degrees of freedom: P(chi2 > 50) < 1e-4.
    expect(chi2).toBeLessThan(50);
  });

  it('clips at the bounds, never wraps: at 0 about half the draws clip to exactly 0', () => {
    const n = 10_000;
    const y = new UniformNoise(0.5).apply(constant(0, n), featureSpace([n]), key(4)).data;
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / n).toBeGreaterThan(0.47);
    expect(zeros / n).toBeLessThan(0.53);
    expect(Math.max(...y)).toBeLessThanOrEqual(0.5);
  });

  it('fresh keys give independent noise; no key reuse across calls of a schedule', () => {
    const n = 5_000;
    const space = featureSpace([n]);
    const keys = derivedKeys('0123456789abcdef0123456789abcdef');
    const r = new UniformNoise(0.3);
    const x = constant(0.5, n);
    const a = r.apply(x, space, keys.next()).data;
    const b = r.apply(x, space, keys.next()).data;
    let same = 0;
    let corr = 0;
    for (let i = 0; i < n; i++) {
      if (a[i] === b[i]) same++;
      corr += (a[i]! - 0.5) * (b[i]! - 0.5);
    }
    expect(same).toBeLessThan(5);
    // Correlation coefficient: standard error 1/sqrt(n) = 0.014; 5 sigma.
    expect(Math.abs(corr / n / (0.3 ** 2 / 3))).toBeLessThan(0.07);
  });

  it('each sample of a batch gets its own noise', () => {
    const x: Batch = { data: new Float32Array(2 * 64).fill(0.5), shape: [2, 64] };
    const y = new UniformNoise(0.3).apply(x, featureSpace([64]), key(5)).data;
    expect(y.subarray(0, 64)).not.toEqual(y.subarray(64));
  });

  it('leaves immutable features untouched', () => {
    const mask = Uint8Array.of(1, 0, 1, 0);
    const space = featureSpace([4], [0, 1], { immutable: mask });
    const x: Batch = { data: new Float32Array(12).fill(0.5), shape: [3, 4] };
    const y = new UniformNoise(0.4).apply(x, space, key(6)).data;
    for (let i = 0; i < 12; i++) expect(y[i] === 0.5).toBe(mask[i % 4] === 1);
  });

  it('backward passes the gradient where the value was not clipped, zero where it was', () => {
    const space = imageSpace(1, 4, 1);
    const x: Batch = { data: Float32Array.of(0, 0.5, 1, 0.5), shape: [1, 1, 4, 1] };
    const y: Batch = { data: Float32Array.of(0, 0.7, 1, 0.2), shape: x.shape };
    const g: Batch = { data: Float32Array.of(1, 2, 3, 4), shape: x.shape };
    expect([...new UniformNoise(0.5).backward(x, y, g, space).data]).toEqual([0, 2, 0, 4]);
  });
});

describe('gaussian randomizer', () => {
  it('has mean 0 and the requested standard deviation relative to the bounds (fixed key)', () => {
    const n = 100_001;
    const y = new GaussianNoise(0.05).apply(constant(0, n), featureSpace([n], [-10, 10]), key(8)).data;
    let m = 0;
    for (const v of y) m += v;
    m /= n;
    let s = 0;
    for (const v of y) s += (v - m) ** 2;
    s = Math.sqrt(s / n);
    // sigma = 0.05 * 20 = 1; standard errors 3.2e-3 (mean) and 2.2e-3 (sd); 5 sigma.
    expect(Math.abs(m)).toBeLessThan(0.016);
    expect(Math.abs(s - 1)).toBeLessThan(0.011);
    const beyond2 = y.filter((v) => Math.abs(v) > 2).length / n;
    expect(beyond2).toBeGreaterThan(0.0435);
    expect(beyond2).toBeLessThan(0.0475);
  });

  it('sigma = 0 is the identity and it stays within bounds', () => {
    const x = constant(0.9, 101);
    expect(new GaussianNoise(0).apply(x, featureSpace([101]), key(1)).data).toEqual(x.data);
    for (const v of new GaussianNoise(0.5).apply(x, featureSpace([101]), key(1)).data) expect(v).toBeLessThanOrEqual(1);
  });
});
