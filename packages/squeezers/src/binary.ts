import { type Batch, type FeatureSpace, type Squeezer } from '@mixnsqueeze/core';
import { identityBackward } from './identity-backward.ts';
import { freezeClass } from './freeze.ts';

/**
 * Binary filter: hi where x > lo + threshold * (hi - lo) strictly, else lo. With threshold 0.5 on
 * [0, 1] this equals 1-bit depth reduction (0.5 itself maps to 0). Backward: BPDA identity.
 */
export class Binary implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'binary';
  readonly gradient = 'bpda';
  /** Threshold relative to the bounds, in (0, 1). */
  readonly threshold: number;
  readonly spec: string;

  constructor(threshold: number) {
    this.threshold = threshold;
    this.spec = `binary:${threshold}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    const [lo, hi] = space.bounds;
    const t = lo + this.threshold * (hi - lo);
    const src = x.data;
    const n = src.length;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[i]! > t ? hi : lo;
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch): Batch {
    return identityBackward(x, y, gradOut);
  }
}
freezeClass(Binary);
