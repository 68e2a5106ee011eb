import { type Batch, sampleSize } from './batch.ts';
import { type FeatureSpace } from './feature-space.ts';

/** An eps-ball around the clean input that snapping must not leave. */
export interface SnapBudget {
  /** The norm of the ball. */
  readonly norm: 'linf' | 'l2';
  /** The radius of the ball, in feature units. */
  readonly eps: number;
}

/** Lattice tolerance: float32 values of lo + m * step sit within a few ulps of the lattice. */
const SLACK = 1e-4;

/**
 * Makes every sample of `adv` a valid point of the space, in place: per-feature bounds, integer
 * lattices (rounded to the nearest point, or towards the clean value where the nearest point would
 * leave the budget), one-hot groups (the largest entry wins, unless the flip does not fit the
 * budget: then the clean level stays), immutable features reset to the clean input `x`. When the
 * rounding pushes an L2 perturbation past eps, the sample is snapped again with every lattice
 * feature rounded towards x and every group at its clean level, which never grows a coordinate of
 * the perturbation. Spaces without a schema only get the immutable reset.
 */
export function snapToSpace(x: Batch, adv: Float32Array, space: FeatureSpace, budget?: SnapBudget): void {
  const n = x.shape[0]!;
  const d = sampleSize(x.shape);
  const src = x.data;
  const mask = space.immutable;
  if (space.features) {
    const unsnapped = new Float32Array(d);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      unsnapped.set(adv.subarray(o, o + d));
      snapSample(src, adv, o, d, space, budget, false);
      if (budget?.norm === 'l2') {
        let s = 0;
        for (let j = 0; j < d; j++) s += (adv[o + j]! - src[o + j]!) ** 2;
        if (Math.sqrt(s) > budget.eps * (1 + 1e-6)) {
          adv.set(unsnapped, o);
          snapSample(src, adv, o, d, space, budget, true);
        }
      }
    }
  }
  if (mask) for (let i = 0; i < n; i++) for (let j = 0, o = i * d; j < d; j++) if (mask[j] === 1) adv[o + j] = src[o + j]!;
}

function snapSample(src: Float32Array, adv: Float32Array, o: number, d: number, space: FeatureSpace, budget: SnapBudget | undefined, towardClean: boolean): void {
  const { lo, hi, step, group, groups } = space.features!;
  const linf = budget?.norm === 'linf' ? budget.eps : Infinity;
  for (let j = 0; j < d; j++) {
    if (group[j]! >= 0) continue;
    const l = lo[j]!;
    const h = hi[j]!;
    let v = adv[o + j]!;
    v = v < l ? l : v > h ? h : v;
    const s = step[j]!;
    if (s > 0) {
      const c = src[o + j]!;
      const top = Math.round((h - l) / s);
      const t = (v - l) / s;
      let m = towardClean ? towards(t, c, v) : Math.round(t);
      if (!towardClean && Math.abs(l + m * s - c) > linf) m = towards(t, c, v);
      m = m < 0 ? 0 : m > top ? top : m;
      v = l + m * s;
    }
    adv[o + j] = v;
  }
  for (const g of groups) {
    const k = g.levels.length;
    const b = o + g.start;
    const clean = argmax(src, b, k);
    let chosen = argmax(adv, b, k);
    if (towardClean || hi[g.start]! - lo[g.start]! > linf) chosen = clean;
    for (let q = 0; q < k; q++) adv[b + q] = q === chosen ? hi[g.start + q]! : lo[g.start + q]!;
  }
}

/** Lattice index of t rounded towards the clean value c (v is the unrounded value t stands for). */
function towards(t: number, c: number, v: number): number {
  return v > c ? Math.floor(t + SLACK) : Math.ceil(t - SLACK);
}

function argmax(a: Float32Array, start: number, k: number): number {
  let best = 0;
  for (let q = 1; q < k; q++) if (a[start + q]! > a[start + best]!) best = q;
  return best;
}

/**
 * Why the sample values break the space's schema (first offence: out of bounds, off the lattice,
 * a one-hot group without exactly one hot entry), or undefined when every sample is valid.
 */
export function schemaViolation(space: FeatureSpace, x: Batch): string | undefined {
  const f = space.features;
  const n = x.shape[0]!;
  const d = sampleSize(x.shape);
  const v = x.data;
  if (!f) return undefined;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const a = v[o + j]!;
      if (!(a >= f.lo[j]! && a <= f.hi[j]!)) return `sample ${i}: ${f.names[j]} = ${a} outside [${f.lo[j]}, ${f.hi[j]}]`;
      const s = f.step[j]!;
      if (s > 0) {
        const t = (a - f.lo[j]!) / s;
        if (Math.abs(t - Math.round(t)) > SLACK) return `sample ${i}: ${f.names[j]} = ${a} is off the lattice ${f.lo[j]} + m * ${s}`;
      }
    }
    for (const g of f.groups) {
      let hot = 0;
      for (let q = 0; q < g.levels.length; q++) {
        const a = v[o + g.start + q]!;
        if (a === f.hi[g.start + q]!) hot++;
        else if (a !== f.lo[g.start + q]!) return `sample ${i}: one-hot ${g.name} holds ${a}, neither 0 nor 1`;
      }
      if (hot !== 1) return `sample ${i}: one-hot ${g.name} has ${hot} hot levels, expected 1`;
    }
  }
  return undefined;
}
