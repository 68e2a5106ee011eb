/**
 * One steepest-ascent step of size `step` on every sample, in place: for L-inf the signed gradient
 * (x += step * sign(g), the FGSM/BIM/PGD step), for L2 the normalized gradient
 * (x += step * g / ||g||_2, Madry et al.'s L2 step; a zero gradient leaves the sample where it is).
 * `d` is the number of features per sample.
 */
export function ascentStep(adv: Float32Array, grad: Float32Array, step: number, norm: 'linf' | 'l2', d: number): void {
  if (norm === 'linf') {
    for (let i = 0; i < adv.length; i++) {
      const g = grad[i]!;
      adv[i] += g > 0 ? step : g < 0 ? -step : 0;
    }
    return;
  }
  for (let o = 0; o < adv.length; o += d) {
    let s = 0;
    for (let j = o; j < o + d; j++) s += grad[j]! * grad[j]!;
    if (s === 0) continue;
    const f = step / Math.sqrt(s);
    for (let j = o; j < o + d; j++) adv[j] += f * grad[j]!;
  }
}
