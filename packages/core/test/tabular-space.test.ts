import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundsError, ParameterError, checkBatch, schemaViolation, snapToSpace, spaceFromJson, spaceToJson, tabularSpace } from '../src/index.ts';

/** Mixed columns: continuous, integer lattice, immutable one-hot, index-coded category. */
const SPACE = tabularSpace([
  { name: 'length', lo: 0, hi: 1 },
  { name: 'count', kind: 'integer', lo: 0, hi: 1, step: 0.2 },
  { name: 'island', kind: 'categorical', levels: ['a', 'b', 'c'], immutable: true },
  { name: 'size', kind: 'categorical', levels: ['s', 'm', 'l', 'xl'], encoding: 'index' },
  { name: 'mass', kind: 'integer', lo: -3, hi: 5 },
]);
const D = SPACE.shape[0]!;

/** A valid record: lattice values, one hot level. */
const validRow = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -3, max: 5 })).map(
  ([len, m, isl, size, mass]) => Float32Array.from([len, m * 0.2, isl === 0 ? 1 : 0, isl === 1 ? 1 : 0, isl === 2 ? 1 : 0, size, mass]),
);
const noise = fc.float32Array({ minLength: D, maxLength: D, min: -3, max: 3, noNaN: true, noDefaultInfinity: true });

describe('tabularSpace', () => {
  it('expands one-hot columns, keeps per-feature bounds and the immutable mask, and has the envelope as bounds', () => {
    expect(SPACE.shape).toEqual([7]);
    expect(SPACE.features!.names).toEqual(['length', 'count', 'island=a', 'island=b', 'island=c', 'size', 'mass']);
    expect(SPACE.bounds).toEqual([-3, 5]);
    expect([...SPACE.immutable!]).toEqual([0, 0, 1, 1, 1, 0, 0]);
    expect(SPACE.features!.groups).toEqual([{ name: 'island', start: 2, levels: ['a', 'b', 'c'] }]);
  });

  it('rejects empty bounds and steps that do not divide the range', () => {
    expect(() => tabularSpace([{ name: 'x', lo: 1, hi: 1 }])).toThrow(ParameterError);
    expect(() => tabularSpace([{ name: 'x', kind: 'integer', lo: 0, hi: 1, step: 0.3 }])).toThrow(ParameterError);
  });

  it('checkBatch checks the per-feature bounds, naming the feature', () => {
    const x = { data: Float32Array.from([0.5, 0.2, 1, 0, 0, 3, 4]), shape: [1, 7] };
    checkBatch(SPACE, x);
    x.data[0] = 1.5; // inside the envelope [-3, 5], outside the column's [0, 1]
    expect(() => checkBatch(SPACE, x)).toThrow(BoundsError);
    expect(() => checkBatch(SPACE, x)).toThrow(/length/);
  });

  it('survives a JSON round trip', () => {
    const back = spaceFromJson(JSON.parse(JSON.stringify(spaceToJson(SPACE))));
    expect(back.features!.names).toEqual(SPACE.features!.names);
    expect([...back.features!.step]).toEqual([...SPACE.features!.step]);
    expect([...back.immutable!]).toEqual([...SPACE.immutable!]);
    expect(back.bounds).toEqual(SPACE.bounds);
  });
});

describe('snapToSpace', () => {
  it('gives valid records that keep immutable features, without a budget', () => {
    fc.assert(
      fc.property(validRow, noise, (x, r) => {
        const adv = x.map((v, j) => v + r[j]!);
        snapToSpace({ data: x, shape: [1, D] }, adv, SPACE);
        expect(schemaViolation(SPACE, { data: adv, shape: [1, D] })).toBeUndefined();
        for (const j of [2, 3, 4]) expect(adv[j]).toBe(x[j]);
      }),
    );
  });

  it('stays inside an L-inf budget (the rounding goes towards the clean value when needed)', () => {
    fc.assert(
      fc.property(validRow, noise, fc.double({ min: 0.01, max: 2, noNaN: true }), (x, r, eps) => {
        const adv = x.map((v, j) => v + Math.max(-eps, Math.min(eps, r[j]!)));
        snapToSpace({ data: x, shape: [1, D] }, adv, SPACE, { norm: 'linf', eps });
        expect(schemaViolation(SPACE, { data: adv, shape: [1, D] })).toBeUndefined();
        for (let j = 0; j < D; j++) expect(Math.abs(adv[j]! - x[j]!)).toBeLessThanOrEqual(eps + 1e-5);
      }),
    );
  });

  it('stays inside an L2 budget', () => {
    fc.assert(
      fc.property(validRow, noise, fc.double({ min: 0.01, max: 3, noNaN: true }), (x, r, eps) => {
        const norm = Math.hypot(...r);
        const f = norm > eps ? eps / norm : 1;
        const adv = x.map((v, j) => v + r[j]! * f);
        snapToSpace({ data: x, shape: [1, D] }, adv, SPACE, { norm: 'l2', eps });
        expect(schemaViolation(SPACE, { data: adv, shape: [1, D] })).toBeUndefined();
        expect(Math.hypot(...adv.map((v, j) => v - x[j]!))).toBeLessThanOrEqual(eps * (1 + 1e-5) + 1e-5);
      }),
    );
  });

  it('flips a one-hot group only when the budget allows it', () => {
    const free = tabularSpace([{ name: 'c', kind: 'categorical', levels: ['a', 'b'] }]);
    const x = { data: Float32Array.from([1, 0]), shape: [1, 2] };
    const wide = Float32Array.from([0.2, 0.9]);
    snapToSpace(x, wide, free, { norm: 'linf', eps: 1 });
    expect([...wide]).toEqual([0, 1]);
    const narrow = Float32Array.from([0.7, 0.8]);
    snapToSpace(x, narrow, free, { norm: 'linf', eps: 0.3 });
    expect([...narrow]).toEqual([1, 0]);
  });
});
