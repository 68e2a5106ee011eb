import { type Batch, type FeatureSpace, type Squeezer, roundToGrid } from '@mixnsqueeze/core';
import { identityBackward } from './identity-backward.ts';
import { freezeClass } from './freeze.ts';

/**
 * Bit-depth reduction to `bits` bits (Xu et al., Feature Squeezing, NDSS 2018):
 * y = round_half_even(x * L) / L with L = 2^bits - 1, the product taken in float32 as the
 * reference numpy code does (x is float32 and L an integer: the float64 product is exact, and
 * Math.fround rounds it as a float32 multiply would). No clipping. For bounds other than [0, 1]
 * the values are first mapped to [0, 1] relative to the bounds and mapped back afterwards.
 * Backward: BPDA identity (rounding has zero gradient almost everywhere).
 */
export class BitDepth implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'bit-depth';
  readonly gradient = 'bpda';
  /** Bits kept per value, 1..8. */
  readonly bits: number;
  readonly spec: string;

  constructor(bits: number) {
    this.bits = bits;
    this.spec = `bit-depth:${bits}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    const [lo, hi] = space.bounds;
    return { data: roundToGrid(x.data, new Float32Array(x.data.length), lo, hi, 2 ** this.bits - 1), shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch): Batch {
    return identityBackward(x, y, gradOut);
  }
}
freezeClass(BitDepth);
