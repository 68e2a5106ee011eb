import { type Batch, sampleSize } from '@mixnsqueeze/core';

/** Per-sample norms of a perturbation, in feature units. */
export interface PerturbationNorms {
  /** Number of changed feature values per sample. */
  readonly l0: Float64Array;
  /** Euclidean norm per sample. */
  readonly l2: Float64Array;
  /** Largest absolute change per sample. */
  readonly linf: Float64Array;
}

/** Per-sample L0 (features changed by more than 1e-7), L2 and L-inf norms of adv - x. */
export function perturbationNorms(x: Batch, adv: Batch): PerturbationNorms {
  const n = x.shape[0]!;
  const d = sampleSize(x.shape);
  const l0 = new Float64Array(n);
  const l2 = new Float64Array(n);
  const linf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    let s = 0;
    let m = 0;
    for (let j = i * d, e = j + d; j < e; j++) {
      const v = Math.abs(adv.data[j]! - x.data[j]!);
      if (v > 1e-7) c++;
      s += v * v;
      if (v > m) m = v;
    }
    l0[i] = c;
    l2[i] = Math.sqrt(s);
    linf[i] = m;
  }
  return { l0, l2, linf };
}

/**
 * Projects adv onto the eps-ball around x (L-inf: clip per feature; L2: rescale the whole
 * perturbation), then onto the bounds [lo, hi]; immutable features are reset to x. In place.
 */
export function project(
  x: Batch,
  adv: Float32Array,
  norm: 'linf' | 'l2' | undefined,
  eps: number,
  lo: number,
  hi: number,
  immutable?: Uint8Array,
): void {
  const n = x.shape[0]!;
  const d = sampleSize(x.shape);
  const src = x.data;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    if (norm === 'l2') {
      let s = 0;
      for (let j = 0; j < d; j++) s += (adv[o + j]! - src[o + j]!) ** 2;
      const r = Math.sqrt(s);
      if (r > eps) {
        const f = eps / r;
        for (let j = 0; j < d; j++) adv[o + j] = src[o + j]! + (adv[o + j]! - src[o + j]!) * f;
      }
    }
    for (let j = 0; j < d; j++) {
      let v = adv[o + j]!;
      if (norm === 'linf') {
        const a = src[o + j]! - eps;
        const b = src[o + j]! + eps;
        v = v < a ? a : v > b ? b : v;
      }
      adv[o + j] = v < lo ? lo : v > hi ? hi : v;
      if (immutable && immutable[j] === 1) adv[o + j] = src[o + j]!;
    }
  }
}
