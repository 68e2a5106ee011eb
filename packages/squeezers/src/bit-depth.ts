import { type Batch, type FeatureSpace, type Squeezer } from '@mixnsqueeze/core';
import { identityBackward } from './identity-backward.ts';

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
    const levels = 2 ** this.bits - 1;
    const [lo, hi] = space.bounds;
    const src = x.data;
    const n = src.length;
    const out = new Float32Array(n);
    if (lo === 0 && hi === 1) {
      for (let i = 0; i < n; i++) {
        const p = Math.fround(src[i]! * levels);
        // Round half to even as numpy's rint does (Math.round would break ties upwards).
        const f = Math.floor(p);
        const d = p - f;
        out[i] = (d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f) / levels;
      }
    } else {
      const w = hi - lo;
      for (let i = 0; i < n; i++) {
        const p = Math.fround(Math.fround((src[i]! - lo) / w) * levels);
        const f = Math.floor(p);
        const d = p - f;
        out[i] = lo + ((d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f) / levels) * w;
      }
    }
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch): Batch {
    return identityBackward(x, y, gradOut);
  }
}
