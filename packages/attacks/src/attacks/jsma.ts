import { sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { logitGradients } from '../logit-gradients.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the JSMA parameters (defaults: theta 1.0, gamma 0.1). */
export const jsmaParams = z.strictObject({
  theta: z
    .number()
    .min(-1)
    .max(1)
    .refine((v) => v !== 0, 'theta must not be 0')
    .default(1)
    .describe('change applied to each chosen feature, relative to the bounds (> 0 increases, < 0 decreases)'),
  gamma: z.number().gt(0).max(1).default(0.1).describe('largest fraction of the features that may be changed'),
});
/** Parameters of {@link Jsma}, as validated by {@link jsmaParams}. */
export type JsmaParams = z.infer<typeof jsmaParams>;

/**
 * Jacobian-based Saliency Map Attack (Papernot, McDaniel, Jha, Fredrikson, Celik & Swami, "The
 * Limitations of Deep Learning in Adversarial Settings", EuroS&P 2016, Algorithms 2 and 3), L0,
 * targeted only, with the pairwise saliency map of the paper. Per sample, with target t, search
 * domain G = the mutable features that can still move in theta's direction, s = sign(theta):
 *   while argmax f(x') != t and iterations < floor(gamma * |features| / 2) and |G| >= 2:
 *     alpha_p = s * d z_t / d x_p;  beta_p = s * sum_{j != t} d z_j / d x_p
 *     (p, q) = argmax over pairs p != q in G with alpha_p + alpha_q > 0 and beta_p + beta_q < 0
 *              of (alpha_p + alpha_q) * |beta_p + beta_q|          (stop if no pair qualifies)
 *     x'_p, x'_q += theta (clipped to the bounds);  G -= {p, q}
 * Derivatives are taken of the logits, as in cleverhans' SaliencyMapMethod that the reference
 * evaluation ran (the paper uses the softmax outputs). The two Jacobian rows per sample (z_t and the
 * sum of the others) come from one batched surface call per iteration.
 * Defaults: theta 1.0, gamma 0.1 (the reference settings for MNIST and CIFAR-10; not run on
 * ImageNet). Presets: mnist, cifar10 (the same). Use with target next or ll.
 * Cost per iteration: 2 gradients per sample not yet at its target; O(|G|^2) pair search.
 */
export class Jsma extends AttackBase<JsmaParams> {
  readonly id = 'jsma';
  readonly norm = 'l0';
  readonly targeted = true;
  override readonly untargeted = false;

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const targets = ctx.targets!;
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const k = ctx.classes;
    const [lo, hi] = ctx.space.bounds;
    const sign = this.params.theta > 0 ? 1 : -1;
    const change = this.params.theta * (hi - lo);
    const maxIterations = Math.floor((d * this.params.gamma) / 2);
    const adv = ctx.x.data.slice();
    // Search domain: features that are mutable and not yet at the bound theta pushes towards.
    const domain = new Uint8Array(n * d);
    for (let i = 0; i < n * d; i++) {
      const f = i % d;
      domain[i] = Number(!(ctx.space.immutable?.[f] === 1) && (sign > 0 ? adv[i]! < hi : adv[i]! > lo));
    }
    let active = Int32Array.from({ length: n }, (_, i) => i);
    const alpha = new Float64Array(d);
    const beta = new Float64Array(d);
    const index = new Int32Array(d);
    for (let it = 0; it < maxIterations && active.length > 0; it++) {
      ctx.checkAborted();
      // Rows 2a and 2a + 1: gradients of z_t and of sum_{j != t} z_j for active sample a.
      const rows = new Int32Array(2 * active.length);
      const coef = new Float32Array(2 * active.length * k);
      for (let a = 0; a < active.length; a++) {
        const i = active[a]!;
        rows[2 * a] = rows[2 * a + 1] = i;
        for (let j = 0; j < k; j++) coef[(2 * a + 1) * k + j] = j === targets[i] ? 0 : 1;
        coef[2 * a * k + targets[i]!] = 1;
      }
      const { grad, logits } = await logitGradients(ctx.surface, { data: adv, shape: ctx.x.shape }, rows, coef);
      const still: number[] = [];
      for (let a = 0; a < active.length; a++) {
        const i = active[a]!;
        if (argmaxRow(logits.data, 2 * a, k) === targets[i]) continue;
        // The candidate features of this sample, with their saliency terms.
        let m = 0;
        const gt = 2 * a * d;
        const go = (2 * a + 1) * d;
        for (let f = 0; f < d; f++) {
          if (domain[i * d + f] !== 1) continue;
          index[m] = f;
          alpha[m] = sign * grad.data[gt + f]!;
          beta[m] = sign * grad.data[go + f]!;
          m++;
        }
        let best = 0;
        let bp = -1;
        let bq = -1;
        for (let p = 0; p < m; p++) {
          const ap = alpha[p]!;
          const bpv = beta[p]!;
          for (let q = p + 1; q < m; q++) {
            const sa = ap + alpha[q]!;
            const sb = bpv + beta[q]!;
            if (sa > 0 && sb < 0 && -sa * sb > best) {
              best = -sa * sb;
              bp = p;
              bq = q;
            }
          }
        }
        if (bp < 0) continue; // no pair raises the target while lowering the others.
        for (const f of [index[bp]!, index[bq]!]) {
          const v = adv[i * d + f]! + change;
          adv[i * d + f] = v < lo ? lo : v > hi ? hi : v;
          domain[i * d + f] = 0;
        }
        if (m - 2 >= 2) still.push(i);
      }
      active = Int32Array.from(still);
      ctx.progress((it + 1) / maxIterations);
    }
    return adv;
  }
}

function argmaxRow(z: Float32Array, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (z[row * k + j]! > z[row * k + best]!) best = j;
  return best;
}

/** Registry component `jsma` ({@link Jsma}) with presets. */
export const jsmaComponent = attackComponent({
  id: 'jsma',
  summary: 'Jacobian-based Saliency Map Attack (Papernot et al. 2016), L0, targeted, pairwise saliency',
  params: jsmaParams,
  presets: { mnist: { theta: 1, gamma: 0.1 }, cifar10: { theta: 1, gamma: 0.1 } },
  examples: ['jsma:mnist', 'jsma:theta=1,gamma=0.1', 'jsma:theta=-1,gamma=0.05'],
  create: (p) => new Jsma(p),
});
