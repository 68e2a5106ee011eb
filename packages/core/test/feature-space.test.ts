import { describe, expect, it } from 'vitest';
import { checkBatch, featureSpace, imageSpace } from '../src/feature-space.ts';
import { BoundsError, NonFiniteError, ShapeError } from '../src/errors.ts';
import { argmaxRows, concatBatches, makeBatch, sliceBatch, softmaxRows } from '../src/batch.ts';

describe('feature spaces and batches', () => {
  const space = imageSpace(2, 2, 1);

  it('accepts a fitting batch and names the first bad value otherwise', () => {
    checkBatch(space, makeBatch(new Float32Array([0, 0.5, 1, 0.25]), [1, 2, 2, 1]));
    expect(() => checkBatch(space, makeBatch(new Float32Array([0, 0.5, 1.5, 0]), [1, 2, 2, 1]))).toThrow(BoundsError);
    expect(() => checkBatch(space, makeBatch(new Float32Array([0, 0, 0, 0, 0, NaN, 0, 0]), [2, 2, 2, 1]))).toThrow(
      /NaN at sample 1, feature 1/,
    );
    expect(() => checkBatch(space, makeBatch(new Float32Array([0, Infinity, 0, 0]), [1, 2, 2, 1]))).toThrow(NonFiniteError);
    expect(() => checkBatch(space, makeBatch(new Float32Array(4), [1, 4, 1, 1]))).toThrow(/expected shape \[N, 2, 2, 1\]/);
  });

  it('validates its own definition', () => {
    expect(() => featureSpace([0, 3])).toThrow(ShapeError);
    expect(() => featureSpace([3], [1, 0])).toThrow(BoundsError);
    expect(() => featureSpace([3], [0, 1], { immutable: new Uint8Array(2) })).toThrow(/one per feature/);
    expect(featureSpace([5]).layout).toBe('flat');
    expect(() => makeBatch(new Float32Array(3), [2, 2])).toThrow(/needs 4 values/);
  });

  it('slices, concatenates, softmaxes and argmaxes rows', () => {
    const b = makeBatch(new Float32Array([1, 3, 2, 0, 0, 0]), [3, 2]);
    expect([...argmaxRows(b)]).toEqual([1, 0, 0]);
    expect(concatBatches([sliceBatch(b, 0, 1), sliceBatch(b, 1, 3)]).data).toEqual(b.data);
    const p = softmaxRows(makeBatch(new Float32Array([1000, 1000, 0, Math.log(3)]), [2, 2])).data;
    expect(p[0]).toBeCloseTo(0.5, 6);
    expect(p[3]).toBeCloseTo(0.75, 6);
  });
});
