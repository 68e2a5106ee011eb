import { type KeyedPrg } from '@mixnsqueeze/core';

/**
 * Madry et al.'s random start, in place: every sample of `adv` (a copy of the clean inputs) moves
 * to a uniformly random point of the eps-ball around it. L-inf: an independent U(-eps, eps) offset
 * per feature. L2: a Gaussian direction (Box-Muller) scaled to radius eps * u^(1/d), which is
 * uniform in the ball. Bounds are the caller's business (project afterwards).
 */
export function randomStart(adv: Float32Array, eps: number, norm: 'linf' | 'l2', d: number, prg: KeyedPrg): void {
  if (norm === 'linf') {
    const u = new Float64Array(adv.length);
    prg.uniform(u);
    for (let i = 0; i < adv.length; i++) adv[i] += eps * (2 * u[i]! - 1);
    return;
  }
  // Per sample: an even number of uniforms for the Gaussian pairs, then one for the radius.
  const pairs = d + (d & 1);
  const block = pairs + 1;
  const u = new Float64Array((adv.length / d) * block);
  prg.uniform(u);
  const g = new Float64Array(pairs);
  for (let o = 0, b = 0; o < adv.length; o += d, b += block) {
    for (let j = 0; j < pairs; j += 2) {
      const r = Math.sqrt(-2 * Math.log(u[b + j]!));
      const a = 2 * Math.PI * u[b + j + 1]!;
      g[j] = r * Math.cos(a);
      g[j + 1] = r * Math.sin(a);
    }
    let ss = 0;
    for (let j = 0; j < d; j++) ss += g[j]! * g[j]!;
    const f = (eps * Math.pow(u[b + pairs]!, 1 / d)) / Math.sqrt(ss);
    for (let j = 0; j < d; j++) adv[o + j] += f * g[j]!;
  }
}
