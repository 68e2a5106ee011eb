import { describe, expect, it } from 'vitest';
import { resolveTargets } from '../src/targets.ts';

const logits = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0]!.length] });

describe('target modes', () => {
  it('next is (y + 1) mod classes', () => {
    expect(Array.from(resolveTargets('next', Int32Array.of(0, 9, 4), 10)!)).toEqual([1, 0, 5]);
  });

  it("ll is numpy's argmin of the float32 softmax: tiny probabilities flushed to 0 tie, and the first of them wins", () => {
    const z = logits([
      [3, 1, 2, 0.5],
      // exp(-98) and exp(-101) are below the smallest normal float32: both probabilities are 0.
      [100, 2, 50, -1],
    ]);
    expect(Array.from(resolveTargets('ll', Int32Array.of(0, 0), 4, z)!)).toEqual([3, 1]);
  });
});
