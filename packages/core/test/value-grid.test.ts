import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UINT8_LEVELS, roundToGrid } from '../src/value-grid.ts';

const round = (values: number[], lo = 0, hi = 1, levels = UINT8_LEVELS) => Array.from(roundToGrid(Float32Array.from(values), new Float32Array(values.length), lo, hi, levels));

describe('roundToGrid', () => {
  it("is numpy's rint(x * 255) / 255 on float32: ties go to the even neighbour", () => {
    // 0.5 / 255 and 1.5 / 255 are ties after the float32 product (2.5 -> 2, 1.5 -> 2, 0.5 -> 0).
    expect(round([0.5 / 255, 1.5 / 255, 2.5 / 255])).toEqual([0, Math.fround(2 / 255), Math.fround(2 / 255)]);
    // float32(0.7) * 255 rounds to the tie 178.5 in float32: it goes to 178.
    expect(round([0.3, 0.7, 1, 0])).toEqual([Math.fround(76 / 255), Math.fround(178 / 255), 1, 0]);
    // 1-bit: 0.5 -> 0 (the binary filter's strict > 0.5), just above -> 1.
    expect(round([0.5, 0.5000001], 0, 1, 1)).toEqual([0, 1]);
  });

  it('is idempotent, lands on the grid and moves no value by more than half a step', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }), (values) => {
        const once = roundToGrid(Float32Array.from(values), new Float32Array(values.length), 0, 1, 255);
        expect(Array.from(roundToGrid(once, new Float32Array(once.length), 0, 1, 255))).toEqual(Array.from(once));
        once.forEach((v, i) => {
          expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
          expect(Math.abs(v - Math.fround(values[i]!))).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
        });
      }),
    );
  });

  it('maps other bounds through [0, 1] and back, and can round in place', () => {
    const data = Float32Array.of(-1, -0.2, 0.999, 1);
    expect(roundToGrid(data, data, -1, 1, 4)).toBe(data);
    expect(Array.from(data)).toEqual([-1, 0, 1, 1]);
  });
});
