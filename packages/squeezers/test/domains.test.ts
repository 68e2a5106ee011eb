import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Batch, KeyedPrg, Registry, derivedKeys, schemaViolation, signalSpace, tabularSpace } from '@mixnsqueeze/core';
import { FeatureQuantize, GaussianNoise, TimeMedian, TimeQuantize, UniformNoise, squeezersPlugin } from '../src/index.ts';

const SPACE = tabularSpace([
  { name: 'mm', lo: 30, hi: 60 },
  { name: 'g', kind: 'integer', lo: 2000, hi: 6000, step: 25 },
  { name: 'island', kind: 'categorical', levels: ['a', 'b', 'c'] },
  { name: 'sex', kind: 'categorical', levels: ['f', 'm'], immutable: true },
  { name: 'size', kind: 'categorical', levels: ['s', 'm', 'l'], encoding: 'index' },
]);
const D = SPACE.shape[0]!;
const key = (i: number): KeyedPrg => derivedKeys('00112233445566778899aabbccddeeff').fork(`t${i}`).next();

function records(n: number): Batch {
  const data = new Float32Array(n * D);
  for (let i = 0; i < n; i++) data.set([30 + (i % 31), 2000 + 25 * (i % 161), i % 3 === 0 ? 1 : 0, i % 3 === 1 ? 1 : 0, i % 3 === 2 ? 1 : 0, i % 2, 1 - (i % 2), i % 3], i * D);
  return { data, shape: [n, D] };
}

describe('randomizers on tabular spaces', () => {
  for (const make of [(w: number, r: number) => new UniformNoise(w, { resample: r }), (w: number, r: number) => new GaussianNoise(w, { resample: r })]) {
    it(`${make(0.1, 0).id}: noise per feature range, per-feature clipping, categories and immutables untouched`, () => {
      fc.assert(
        fc.property(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (w, seed) => {
          const x = records(20);
          const y = make(w, 0).apply(x, SPACE, key(seed)).data;
          for (let i = 0; i < 20; i++) {
            const o = i * D;
            expect(y[o]).toBeGreaterThanOrEqual(30);
            expect(y[o]).toBeLessThanOrEqual(60);
            expect(y[o + 1]).toBeGreaterThanOrEqual(2000);
            expect(y[o + 1]).toBeLessThanOrEqual(6000);
            for (let j = 2; j < D; j++) expect(y[o + j]).toBe(x.data[o + j]);
          }
        }),
        { numRuns: 30 },
      );
    });
  }

  it('uniform noise spans delta times each feature range (not the envelope)', () => {
    const n = 4000;
    const x = records(n);
    for (let i = 0; i < n; i++) (x.data[i * D] = 45), (x.data[i * D + 1] = 4000);
    const y = new UniformNoise(0.1).apply(x, SPACE, key(1)).data;
    let m0 = 0;
    let m1 = 0;
    for (let i = 0; i < n; i++) (m0 = Math.max(m0, Math.abs(y[i * D]! - 45))), (m1 = Math.max(m1, Math.abs(y[i * D + 1]! - 4000)));
    expect(m0).toBeGreaterThan(2.9);
    expect(m0).toBeLessThanOrEqual(3 + 1e-4);
    expect(m1).toBeGreaterThan(390);
    expect(m1).toBeLessThanOrEqual(400 + 1e-2);
  });

  it('resampling replaces categorical variables at the given rate with valid levels, never immutable ones', () => {
    const n = 3000;
    const x = records(n);
    const y = { data: new UniformNoise(0, { resample: 0.3 }).apply(x, SPACE, key(2)).data, shape: x.shape };
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const o = i * D;
      expect(y.data[o + 5]).toBe(x.data[o + 5]);
      expect(y.data[o + 6]).toBe(x.data[o + 6]);
      if (y.data[o + 2] !== x.data[o + 2] || y.data[o + 3] !== x.data[o + 3]) changed++;
    }
    expect(schemaViolation(SPACE, { data: y.data.map((v, i) => (i % D === 1 ? 2000 : v)), shape: x.shape })).toBeUndefined();
    // Resampled at rate 0.3, a uniform level differs from the clean one 2/3 of the time: 0.2.
    expect(changed / n).toBeGreaterThan(0.17);
    expect(changed / n).toBeLessThan(0.23);
  });

  it('is a pure function of (key, input), and the spec names the resampling', () => {
    const x = records(5);
    const r = new UniformNoise(0.2, { resample: 0.1 });
    expect(r.apply(x, SPACE, key(9)).data).toEqual(r.apply(x, SPACE, key(9)).data);
    expect(r.spec).toBe('uniform:delta=0.2,resample=0.1');
    expect(new Registry().use(squeezersPlugin).randomizer(r.spec).spec).toBe(r.spec);
  });

  it('backward passes the gradient inside each feature range and through kept categories', () => {
    const x = records(1);
    const y = { data: Float32Array.from([60, 4000, 1, 0, 0, 0, 1, 0]), shape: [1, D] };
    const g = { data: new Float32Array(D).fill(1), shape: [1, D] };
    expect([...new UniformNoise(0.1).backward(x, y, g, SPACE).data]).toEqual([0, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('per-feature quantization', () => {
  it('gives valid records with at most `levels` values per feature and leaves immutable features alone', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: D * 3, maxLength: D * 3, min: 0, max: 1, noNaN: true }), fc.integer({ min: 2, max: 9 }), (u, levels) => {
        const lo = [30, 2000, 0, 0, 0, 0, 0, 0];
        const w = [30, 4000, 1, 1, 1, 1, 1, 2];
        const x = { data: u.map((v, i) => lo[i % D]! + v * w[i % D]!), shape: [3, D] };
        // The immutable pair is the one feature the squeezer must not touch: make it valid first.
        for (let i = 0; i < 3; i++) (x.data[i * D + 5] = 1), (x.data[i * D + 6] = 0);
        const y = new FeatureQuantize(levels).apply(x, SPACE);
        expect(schemaViolation(SPACE, y)).toBeUndefined();
        for (let i = 0; i < 3; i++) {
          const t = ((y.data[i * D]! - 30) / 30) * (levels - 1);
          expect(Math.abs(t - Math.round(t))).toBeLessThan(1e-3);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('1-D signal squeezers', () => {
  const space = signalSpace(8, 1);
  const x = { data: Float32Array.from([0, 0.9, 0, 0, -0.5, 0.5, 0.5, 0.5, 1, 1, 1, -1, 1, 1, 1, 1]), shape: [2, 8, 1] };

  it('median1d removes single-step spikes (window 3, reflected borders)', () => {
    expect([...new TimeMedian(3).apply(x).data.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0, 0.5, 0.5, 0.5]);
    expect([...new TimeMedian(3).apply(x).data.subarray(8)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('median1d filters each channel on its own and routes gradients to the selected step', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 24, maxLength: 24, min: -1, max: 1, noNaN: true }), fc.integer({ min: 1, max: 6 }), (u, w) => {
        const two = { data: u, shape: [1, 12, 2] };
        const m = new TimeMedian(w);
        const y = m.apply(two);
        const even = m.apply({ data: u.filter((_, i) => i % 2 === 0), shape: [1, 12] }).data;
        expect([...y.data.filter((_, i) => i % 2 === 0)]).toEqual([...even]);
        const g = m.backward(two, y, { data: new Float32Array(24).fill(1), shape: two.shape }).data;
        expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(24, 4);
      }),
      { numRuns: 50 },
    );
  });

  it('time-quantize holds window means rounded to the amplitude levels', () => {
    const y = new TimeQuantize(4, 5).apply(x, space).data;
    // Windows of the first signal: mean 0.225 -> 0.5 (levels -1, -0.5, 0, 0.5, 1), mean 0.25 -> 0.5 (half up).
    expect([...y.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]);
    const g = new TimeQuantize(4, 5).backward(x, { data: y, shape: x.shape }, { data: Float32Array.from({ length: 16 }, (_, i) => i), shape: x.shape }).data;
    expect([...g.subarray(0, 8)]).toEqual([1.5, 1.5, 1.5, 1.5, 5.5, 5.5, 5.5, 5.5]);
  });

  it('randomizes every time step with its own draw and parses from specs', () => {
    const r = new Registry().use(squeezersPlugin);
    const y = r.randomizer('uniform:0.1').apply({ data: new Float32Array(64), shape: [1, 64, 1] }, signalSpace(64), key(3)).data;
    expect(new Set(y).size).toBe(64);
    expect(r.squeezer('median1d:5').spec).toBe('median1d:5');
    expect(r.squeezer('time-quantize:4').spec).toBe('time-quantize:window=4,levels=16');
    expect(r.squeezer('quantize:8').spec).toBe('quantize:8');
  });
});
