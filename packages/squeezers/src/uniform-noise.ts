import { type Batch, type FeatureSpace, KeyedPrg, type Randomizer, TWO_POW_M24, VALUES_PER_NONCE } from '@mixnsqueeze/core';
import { clipBackward } from './clip-backward.ts';
import { freezeClass } from './freeze.ts';
import { type CategoricalNoise, featureNoise } from './feature-noise.ts';

/**
 * The Mix'n'Squeeze randomizer (Mix'n'Squeeze, reference.md section 1): every feature value gets an
 * independent offset r ~ U[-delta, +delta] from the keyed PRG and is clipped to the bounds, never
 * wrapped: y = clip(x + r, lo, hi). delta is relative to the bound width (hi - lo). Features marked
 * immutable in the space are left untouched. delta = 0 is the identity, bit for bit, and draws no key.
 * In a tabular space (one with a feature schema) the half-width is delta * (hi_j - lo_j) per feature,
 * the clip is per feature, and categorical features are left alone or resampled (see `featureNoise`).
 * Backward: exact (gradient passes where not clipped).
 */
export class UniformNoise implements Randomizer {
  readonly kind = 'randomizer';
  readonly id = 'uniform';
  readonly gradient = 'exact';
  /** Half-width of the noise, relative to hi - lo (per feature in tabular spaces). */
  readonly delta: number;
  readonly spec: string;
  readonly active: boolean;
  /** Treatment of categorical features in tabular spaces (default: left alone). */
  readonly categorical: CategoricalNoise;
  #words = new Uint32Array(VALUES_PER_NONCE);

  constructor(delta: number, categorical: CategoricalNoise = { resample: 0 }) {
    this.delta = delta;
    // A copy, frozen: the caller's object could otherwise change the resampling rate later.
    this.categorical = Object.freeze({ resample: categorical.resample });
    this.spec = categorical.resample > 0 ? `uniform:delta=${delta},resample=${categorical.resample}` : `uniform:${delta}`;
    this.active = delta > 0 || categorical.resample > 0;
  }

  /** Adds keyed noise drawn from `prg`, which must come from a key schedule (else a KeyError). */
  apply(x: Batch, space: FeatureSpace, prg: KeyedPrg): Batch {
    // Only a frozen generator of a key schedule may fill this object's scratch: a look-alike would
    // keep a view of it and read the keystream of every later call.
    KeyedPrg.assertGenuine(prg, 'UniformNoise.apply');
    const src = x.data;
    const n = src.length;
    const out = new Float32Array(n);
    if (!this.active) {
      out.set(src);
      return { data: out, shape: x.shape };
    }
    if (space.features) return featureNoise(x, space, prg, 'uniform', this.delta, this.categorical);
    const [lo, hi] = space.bounds;
    // r = delta * (hi - lo) * (2u - 1) with u = ((w >>> 8) + 0.5) * 2^-24, folded into one multiply-add.
    const scale = 2 * this.delta * (hi - lo) * TWO_POW_M24;
    const shift = this.delta * (hi - lo) * (1 - TWO_POW_M24);
    const w = this.#words;
    const mask = space.immutable;
    const per = mask ? mask.length : 1;
    for (let start = 0; start < n; start += w.length) {
      const m = Math.min(w.length, n - start);
      prg.words(m === w.length ? w : w.subarray(0, m));
      for (let t = 0; t < m; t++) {
        // Branch-free clip: which values clip is random, so branches (and V8's Math.min/max, which
        // branch on NaN and -0) mispredict; this is 5x faster. min(v, hi) = (v + hi - |v - hi|) / 2
        // is off by at most an ulp of hi in float64, which the float32 store rounds to hi exactly;
        // max(v, lo) = (v + lo + |v - lo|) / 2 is exact at lo = 0.
        let v = src[start + t]! + ((w[t]! >>> 8) * scale - shift);
        v = (v + hi - Math.abs(v - hi)) * 0.5;
        out[start + t] = (v + lo + Math.abs(v - lo)) * 0.5;
      }
      if (mask) for (let t = 0; t < m; t++) if (mask[(start + t) % per] === 1) out[start + t] = src[start + t]!;
    }
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch, space: FeatureSpace): Batch {
    return clipBackward(x, y, gradOut, space);
  }
}
freezeClass(UniformNoise);
