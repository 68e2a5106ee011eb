import { type Batch, FEATURE_KIND, type FeatureSpace, KeyedPrg, sampleSize } from '@mixnsqueeze/core';

/** How a randomizer treats the categorical variables of a tabular space. */
export interface CategoricalNoise {
  /**
   * Probability that a categorical variable (one-hot group or index-coded feature) is replaced by
   * a uniformly drawn level; 0 leaves categories alone.
   */
  readonly resample: number;
}

/**
 * Keyed noise for spaces with a feature schema: every continuous or integer feature j gets
 * `width * (hi_j - lo_j)` times a standard draw (uniform on [-1, 1] or normal) and is clipped to
 * [lo_j, hi_j]; categorical variables are left alone or resampled; immutable features are untouched.
 * Per sample the PRG yields one block: the noise draws (rounded up to even for Box-Muller), then two
 * uniforms per categorical variable when resampling (whether, which level). `prg` must come from a
 * key schedule (else a KeyError).
 */
export function featureNoise(x: Batch, space: FeatureSpace, prg: KeyedPrg, draw: 'uniform' | 'gaussian', width: number, cat: CategoricalNoise): Batch {
  KeyedPrg.assertGenuine(prg, 'featureNoise');
  const f = space.features!;
  const n = x.shape[0]!;
  const d = sampleSize(x.shape);
  const mask = space.immutable;
  const indexCoded: number[] = [];
  for (let j = 0; j < d; j++) if (f.kind[j] === FEATURE_KIND.categorical && f.group[j]! < 0) indexCoded.push(j);
  const variables = cat.resample > 0 ? f.groups.length + indexCoded.length : 0;
  const noiseDraws = d + (d & 1);
  const block = noiseDraws + 2 * variables;
  const u = new Float64Array(n * block);
  prg.uniform(u);
  const src = x.data;
  const out = src.slice();
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const free = f.kind[j] !== FEATURE_KIND.categorical && !(mask && mask[j] === 1);
    scale[j] = free ? width * (f.hi[j]! - f.lo[j]!) : 0;
  }
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const b = i * block;
    for (let j = 0; j < d; j++) {
      const s = scale[j]!;
      if (s === 0) continue;
      let z: number;
      if (draw === 'uniform') z = 2 * u[b + j]! - 1;
      else {
        const p = j & ~1;
        const r = Math.sqrt(-2 * Math.log(u[b + p]!));
        z = (j & 1) === 0 ? r * Math.cos(2 * Math.PI * u[b + p + 1]!) : r * Math.sin(2 * Math.PI * u[b + p + 1]!);
      }
      const v = src[o + j]! + s * z;
      const lo = f.lo[j]!;
      const hi = f.hi[j]!;
      out[o + j] = v < lo ? lo : v > hi ? hi : v;
    }
    if (variables === 0) continue;
    let c = b + noiseDraws;
    for (const g of f.groups) {
      const whether = u[c++]!;
      const which = u[c++]!;
      if (whether >= cat.resample || (mask && mask[g.start] === 1)) continue;
      const k = g.levels.length;
      const level = Math.min(k - 1, Math.floor(which * k));
      for (let q = 0; q < k; q++) out[o + g.start + q] = q === level ? f.hi[g.start + q]! : f.lo[g.start + q]!;
    }
    for (const j of indexCoded) {
      const whether = u[c++]!;
      const which = u[c++]!;
      if (whether >= cat.resample || (mask && mask[j] === 1)) continue;
      const levels = Math.round((f.hi[j]! - f.lo[j]!) / f.step[j]!) + 1;
      out[o + j] = f.lo[j]! + Math.min(levels - 1, Math.floor(which * levels)) * f.step[j]!;
    }
  }
  return { data: out, shape: x.shape };
}
