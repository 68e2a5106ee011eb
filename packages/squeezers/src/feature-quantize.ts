import { type Batch, type FeatureSpace, type Squeezer, sampleSize } from '@mixnsqueeze/core';
import { identityBackward } from './identity-backward.ts';
import { freezeClass } from './freeze.ts';

/**
 * Per-feature quantization for tabular data: every continuous feature j is rounded to `levels`
 * evenly spaced values of its own range [lo_j, hi_j]; an integer feature is rounded the same way
 * and then to its lattice (so it never holds more than `levels` values and always a valid one); a
 * one-hot group keeps only its largest entry; an index-coded category goes to the nearest level.
 * Immutable features pass unchanged. Without a feature schema every value is rounded to `levels`
 * values of the space's bounds. Backward: BPDA identity.
 */
export class FeatureQuantize implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'quantize';
  readonly gradient = 'bpda';
  /** Values kept per feature range (at least 2). */
  readonly levels: number;
  readonly spec: string;

  constructor(levels: number) {
    this.levels = levels;
    this.spec = `quantize:${levels}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    const src = x.data;
    const out = src.slice();
    const q = this.levels - 1;
    const f = space.features;
    if (!f) {
      const [lo, hi] = space.bounds;
      const w = hi - lo;
      for (let i = 0; i < src.length; i++) out[i] = lo + (Math.round(((src[i]! - lo) / w) * q) / q) * w;
      return { data: out, shape: x.shape };
    }
    const n = x.shape[0]!;
    const d = sampleSize(x.shape);
    const mask = space.immutable;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) {
        if (f.group[j]! >= 0 || (mask && mask[j] === 1)) continue;
        const lo = f.lo[j]!;
        const w = f.hi[j]! - lo;
        const s = f.step[j]!;
        const v = src[o + j]!;
        const c = v < lo ? 0 : v > lo + w ? 1 : (v - lo) / w;
        const r = lo + (Math.round(c * q) / q) * w;
        out[o + j] = s > 0 ? lo + Math.round((r - lo) / s) * s : r;
      }
      for (const g of f.groups) {
        if (mask && mask[g.start] === 1) continue;
        const b = o + g.start;
        let best = 0;
        for (let k = 1; k < g.levels.length; k++) if (src[b + k]! > src[b + best]!) best = k;
        for (let k = 0; k < g.levels.length; k++) out[b + k] = k === best ? f.hi[g.start + k]! : f.lo[g.start + k]!;
      }
    }
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch): Batch {
    return identityBackward(x, y, gradOut);
  }
}
freezeClass(FeatureQuantize);
