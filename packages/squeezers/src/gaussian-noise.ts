import { type Batch, type FeatureSpace, KeyedPrg, type Randomizer, VALUES_PER_NONCE } from '@mixnsqueeze/core';
import { clipBackward } from './clip-backward.ts';
import { freezeClass } from './freeze.ts';
import { type CategoricalNoise, featureNoise } from './feature-noise.ts';

/**
 * Gaussian randomizer: y = clip(x + sigma * (hi - lo) * z, lo, hi) with z ~ N(0, 1) per feature
 * value, from pairs of keyed uniforms by the Box-Muller transform. Immutable features are left
 * untouched; sigma = 0 is the identity and draws no key. In a tabular space sigma is relative to
 * each feature's range, and categorical features are left alone or resampled (see `featureNoise`). Backward: exact (not-clipped mask).
 */
export class GaussianNoise implements Randomizer {
  readonly kind = 'randomizer';
  readonly id = 'gaussian';
  readonly gradient = 'exact';
  /** Standard deviation of the noise, relative to hi - lo (per feature in tabular spaces). */
  readonly sigma: number;
  readonly spec: string;
  readonly active: boolean;
  /** Treatment of categorical features in tabular spaces (default: left alone). */
  readonly categorical: CategoricalNoise;
  #u = new Float64Array(VALUES_PER_NONCE);

  constructor(sigma: number, categorical: CategoricalNoise = { resample: 0 }) {
    this.sigma = sigma;
    // A copy, frozen: the caller's object could otherwise change the resampling rate later.
    this.categorical = Object.freeze({ resample: categorical.resample });
    this.spec = categorical.resample > 0 ? `gaussian:sigma=${sigma},resample=${categorical.resample}` : `gaussian:${sigma}`;
    this.active = sigma > 0 || categorical.resample > 0;
  }

  /** Adds keyed noise drawn from `prg`, which must come from a key schedule (else a KeyError). */
  apply(x: Batch, space: FeatureSpace, prg: KeyedPrg): Batch {
    // Only a frozen generator of a key schedule may fill this object's scratch: a look-alike would
    // keep a view of it and read the keystream of every later call.
    KeyedPrg.assertGenuine(prg, 'GaussianNoise.apply');
    const src = x.data;
    const n = src.length;
    const out = new Float32Array(n);
    if (!this.active) {
      out.set(src);
      return { data: out, shape: x.shape };
    }
    if (space.features) return featureNoise(x, space, prg, 'gaussian', this.sigma, this.categorical);
    const [lo, hi] = space.bounds;
    const s = this.sigma * (hi - lo);
    const u = this.#u;
    const mask = space.immutable;
    const per = mask ? mask.length : 1;
    const twoPi = 2 * Math.PI;
    for (let start = 0; start < n; start += u.length) {
      const m = Math.min(u.length, n - start);
      // VALUES_PER_NONCE is even, so only the last chunk can need one spare uniform.
      const draw = m + (m & 1);
      const chunk = draw === u.length ? u : u.subarray(0, draw);
      prg.uniform(chunk);
      for (let t = 0; t < m; t += 2) {
        const r = s * Math.sqrt(-2 * Math.log(u[t]!));
        const a = twoPi * u[t + 1]!;
        let v = src[start + t]! + r * Math.cos(a);
        out[start + t] = v < lo ? lo : v > hi ? hi : v;
        if (t + 1 < m) {
          v = src[start + t + 1]! + r * Math.sin(a);
          out[start + t + 1] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      if (mask) for (let t = 0; t < m; t++) if (mask[(start + t) % per] === 1) out[start + t] = src[start + t]!;
    }
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch, space: FeatureSpace): Batch {
    return clipBackward(x, y, gradOut, space);
  }
}
freezeClass(GaussianNoise);
