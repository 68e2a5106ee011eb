import { describe, expect, it } from 'vitest';
import { type Batch, type FeatureSpace, featureSpace, imageSpace } from '@mixnsqueeze/core';
import { Median, UniformNoise } from '../src/index.ts';
import { clipBackward } from '../src/clip-backward.ts';

/*
 * The 2x2 median runs on the values' bit patterns when a plane has no negative, -0 or NaN value,
 * and clipBackward copies gradient bits under a mask. These tests hold both to a plain reference
 * (sort the window; search it in row-major order; a conditional copy) bit for bit, on data with
 * many ties, on the planes that must take the float path, and in every image layout.
 */

/** Deterministic values in [0, 1] on a grid of quarters: ties in most windows. */
function quarters(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 29) % 5 / 4;
  });
}

/** Deterministic gradient values of both signs, some exactly zero. */
function gradient(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 1.7) * 3));
}

/** Row/column -1 reflects to 0 (the 2x2 window never reaches past the far edge). */
const reflect = (t: number, _n: number): number => (t < 0 ? -t - 1 : t);

/** Offset of (n, c, i, j) in a batch of the given layout. */
function at(shape: readonly number[], chw: boolean, n: number, c: number, i: number, j: number): number {
  if (shape.length === 3) return (n * shape[1]! + i) * shape[2]! + j;
  if (chw) return ((n * shape[1]! + c) * shape[2]! + i) * shape[3]! + j;
  return ((n * shape[1]! + i) * shape[2]! + j) * shape[3]! + c;
}

/** The window of output (n, c, i, j) in row-major order: rows i-1..i, columns j-1..j, -1 reflected to 0. */
function windowOf(shape: readonly number[], chw: boolean, n: number, c: number, i: number, j: number): number[] {
  const r = reflect(i - 1, 0);
  const l = reflect(j - 1, 0);
  return [at(shape, chw, n, c, r, l), at(shape, chw, n, c, r, j), at(shape, chw, n, c, i, l), at(shape, chw, n, c, i, j)];
}

/** Calls f(output offset, window) for every output in row-major order. */
function eachOutput(x: Batch, chw: boolean, f: (o: number, win: number[]) => void): void {
  const s = x.shape;
  const [h, w, ch] = s.length === 3 ? [s[1]!, s[2]!, 1] : chw ? [s[2]!, s[3]!, s[1]!] : [s[1]!, s[2]!, s[3]!];
  for (let n = 0; n < s[0]!; n++) {
    for (let c = 0; c < ch; c++) {
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) f(at(s, chw, n, c, i, j), windowOf(s, chw, n, c, i, j));
    }
  }
}

/** Reference 2x2 median: the third smallest of the sorted window. */
function refMedian(x: Batch, chw: boolean): Float32Array {
  const y = new Float32Array(x.data.length);
  eachOutput(x, chw, (o, win) => (y[o] = win.map((k) => x.data[k]!).sort((a, b) => a - b)[2]!));
  return y;
}

/** Reference backward, summed in row-major output order: the first window element equal to the output (else the pixel) gets its gradient. */
function refBackward(x: Batch, y: Float32Array, g: Float32Array, chw: boolean): Float32Array {
  const grad = new Float32Array(x.data.length);
  eachOutput(x, chw, (o, win) => (grad[win.find((k) => x.data[k] === y[o]) ?? o]! += g[o]!));
  return grad;
}

const bits = (a: Float32Array): number[] => [...new Int32Array(a.buffer, a.byteOffset, a.length)];

function check(x: Batch, space: FeatureSpace, chw = false): void {
  const m = new Median(2);
  const g = gradient(x.data.length);
  const y = m.apply(x, space);
  expect(bits(y.data)).toEqual(bits(refMedian(x, chw)));
  expect(bits(m.backward(x, y, { data: g, shape: x.shape }, space).data)).toEqual(bits(refBackward(x, y.data, g, chw)));
}

describe('Median 2x2 fast path', () => {
  it('matches the reference bit for bit on tied values, in every layout', () => {
    check({ data: quarters(3 * 6 * 5, 1), shape: [3, 6, 5] }, featureSpace([6, 5], [0, 1]));
    check({ data: quarters(2 * 5 * 7 * 3, 2), shape: [2, 5, 7, 3] }, imageSpace(5, 7, 3));
    check({ data: quarters(2 * 3 * 5 * 7, 3), shape: [2, 3, 5, 7] }, featureSpace([3, 5, 7], [0, 1], { layout: 'chw' }), true);
  });

  it('matches the reference where a plane holds negatives or Infinity, and propagates NaN (the float path, for that plane only)', () => {
    const x: Batch = { data: quarters(4 * 4 * 4 * 2, 4), shape: [4, 4, 4, 2] };
    x.data[1 * 32 + 5] = -0.25; // sample 1, channel 1
    x.data[2 * 32 + 8] = -1; // sample 2, channel 0
    x.data[3 * 32 + 9] = Infinity; // sample 3: +Infinity keeps the bit-pattern path
    check(x, imageSpace(4, 4, 2));
    // A NaN at (1, 1) of a 3x3 plane reaches the outputs whose window holds it: (1..2, 1..2).
    const nan: Batch = { data: quarters(2 * 9, 5), shape: [2, 3, 3, 1] };
    nan.data[9 + 4] = NaN;
    const y = new Median(2).apply(nan, imageSpace(3, 3, 1)).data;
    expect([...y.subarray(9)].map(Number.isNaN)).toEqual([false, false, false, false, true, true, false, true, true]);
    expect(bits(y.subarray(0, 9))).toEqual(bits(refMedian(nan, false).subarray(0, 9)));
  });

  it('keeps the sign of zero as Math.min/max do, and routes gradients by value equality (-0 === 0)', () => {
    const space = imageSpace(2, 2, 1);
    const x: Batch = { data: Float32Array.of(-0, 0, 0, -0), shape: [1, 2, 2, 1] };
    const y = new Median(2).apply(x, space).data;
    expect([...y].map((v) => Object.is(v, -0))).toEqual([true, false, false, false]);
    const g = Float32Array.of(1, 2, 4, 8);
    expect(bits(new Median(2).backward(x, { data: y, shape: x.shape }, { data: g, shape: x.shape }, space).data)).toEqual(bits(refBackward(x, y, g, false)));
  });

  it('backward routes the gradient of an output no window holds to its own pixel, on both paths', () => {
    const space = imageSpace(5, 5, 1);
    const x: Batch = { data: quarters(2 * 25, 6), shape: [2, 5, 5, 1] };
    const m = new Median(2);
    const y = m.apply(x, space);
    const g = gradient(50);
    y.data[30] = 0.3;
    expect(bits(m.backward(x, y, { data: g, shape: x.shape }, space).data)).toEqual(bits(refBackward(x, y.data, g, false)));
    y.data[30] = -0.3; // a negative output sends this plane down the float path
    expect(bits(m.backward(x, y, { data: g, shape: x.shape }, space).data)).toEqual(bits(refBackward(x, y.data, g, false)));
  });
});

describe('clipBackward', () => {
  it('copies the gradient bits where the value is strictly inside the bounds and +0 elsewhere', () => {
    const space = imageSpace(2, 4, 1);
    const y = Float32Array.of(0, 1, 0.5, 1e-30, 0.999, NaN, 0.25, 0.75);
    const g = Float32Array.of(1, 2, -0, NaN, -3, 4, -Infinity, 5);
    const x: Batch = { data: new Float32Array(8), shape: [1, 2, 4, 1] };
    const out = clipBackward(x, { data: y, shape: x.shape }, { data: g, shape: x.shape }, space).data;
    expect(bits(out)).toEqual(bits(Float32Array.of(0, 0, -0, NaN, -3, 0, -Infinity, 5)));
    // The randomizer's backward is this function.
    expect(bits(new UniformNoise(0.5).backward(x, { data: y, shape: x.shape }, { data: g, shape: x.shape }, space).data)).toEqual(bits(out));
  });
});
