import { type Batch, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { logitGradients } from '../logit-gradients.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the DeepFool parameters (defaults: logits, overshoot 0.02). */
export const deepFoolParams = z.strictObject({
  candidates: z.number().int().min(2).max(1000).default(10).describe('classes considered, the label included: the top ones on the clean input'),
  steps: z.number().int().min(1).max(10_000).default(50).describe('maximum iterations'),
  overshoot: z.number().min(0).max(1000).default(0.02).describe('x_adv = x + (1 + overshoot) * r_total'),
  scores: z
    .enum(['logits', 'probabilities'])
    .default('logits')
    .describe('what f_k - f_y is measured on; gradients are always of the logits (probabilities: as the reference code)'),
});
/** Parameters of {@link DeepFool}, as validated by {@link deepFoolParams}. */
export type DeepFoolParams = z.infer<typeof deepFoolParams>;

/**
 * DeepFool, multi-class, L2 (Moosavi-Dezfooli, Fawzi & Frossard, "DeepFool: a simple and accurate
 * method to fool deep neural networks", CVPR 2016, Algorithm 2). Untargeted. Per sample, with
 * candidate classes C = the `candidates` top-scoring classes on x other than the label y:
 *   r_tot = 0; x_0 = x
 *   while argmax f(x_i) == y and i < steps:
 *     for k in C: w_k = grad f_k(x_i) - grad f_y(x_i);  f'_k = f_k(x_i) - f_y(x_i)
 *     l = argmin_k |f'_k| / ||w_k||_2                   (the nearest linearized boundary)
 *     r_i = (|f'_l| / ||w_l||_2 + 1e-4) * w_l / ||w_l||_2;  r_tot += r_i
 *     x_{i+1} = clip(x + (1 + overshoot) * r_tot)
 * `overshoot` follows the reference implementations (LTS4's deepfool.py, cleverhans): the total
 * perturbation is scaled by 1 + overshoot, inside the loop and in the result; 0.02 is their default.
 * The 1e-4 keeps a step that lands exactly on the boundary from stalling (as in LTS4's code).
 * Inputs are clipped to the bounds before every model call.
 * The reference evaluation (EvadeML-Zoo) ran LTS4's code with f = softmax probabilities and w from
 * logit gradients, with overshoot 10 (CIFAR-10) and 35 (ImageNet): probability differences are
 * small, so the huge overshoot compensates. The presets reproduce that (scores=probabilities); the
 * default is the paper's logits with overshoot 0.02.
 * Defaults: 10 candidates, 50 iterations, overshoot 0.02, scores on logits. Presets: cifar10
 * (overshoot 10, probabilities), imagenet (overshoot 35, probabilities). Not run on MNIST in the reference.
 * Cost per iteration: candidates - 1 gradients per sample still correctly classified.
 */
export class DeepFool extends AttackBase<DeepFoolParams> {
  readonly id = 'deepfool';
  readonly norm = 'l2';
  readonly targeted = false;

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const { steps, overshoot } = this.params;
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const classes = ctx.classes;
    const m = Math.min(this.params.candidates, classes) - 1;
    const [lo, hi] = ctx.space.bounds;
    const mask = ctx.space.immutable;
    const src = ctx.x.data;
    const adv = src.slice();
    const rTot = new Float64Array(n * d);
    const candidates = topOthers(await ctx.surface.logits(ctx.x), ctx.labels, m);
    let active = Int32Array.from({ length: n }, (_, i) => i);
    for (let it = 0; it < steps && active.length > 0; it++) {
      ctx.checkAborted();
      // One row per (active sample, candidate k): the gradient of z_k - z_y, batched in one call.
      const rows = active.length * m;
      const sample = new Int32Array(rows);
      const coef = new Float32Array(rows * classes);
      for (let a = 0; a < active.length; a++) {
        const i = active[a]!;
        for (let c = 0; c < m; c++) {
          const r = a * m + c;
          sample[r] = i;
          coef[r * classes + candidates[i * m + c]!] = 1;
          coef[r * classes + ctx.labels[i]!] = -1;
        }
      }
      const { grad, logits } = await logitGradients(ctx.surface, { data: adv, shape: ctx.x.shape }, sample, coef);
      const still: number[] = [];
      for (let a = 0; a < active.length; a++) {
        const i = active[a]!;
        const y = ctx.labels[i]!;
        const z = logits.data.subarray(a * m * classes, a * m * classes + classes);
        if (argmax(z) !== y) continue;
        const f = this.params.scores === 'probabilities' ? softmax(z) : Float64Array.from(z);
        // The nearest linearized boundary among the candidates.
        let bestDist = Infinity;
        let bestRow = -1;
        let bestNorm = 0;
        for (let c = 0; c < m; c++) {
          const r = a * m + c;
          const g = grad.data.subarray(r * d, (r + 1) * d);
          let s = 0;
          for (let j = 0; j < d; j++) if (!mask || mask[j] !== 1) s += g[j]! * g[j]!;
          const norm = Math.sqrt(s);
          const dist = Math.abs(f[candidates[i * m + c]!]! - f[y]!) / norm;
          if (norm > 0 && dist < bestDist) {
            bestDist = dist;
            bestRow = r;
            bestNorm = norm;
          }
        }
        if (bestRow < 0) continue; // no gradient towards any candidate: nothing to follow.
        still.push(i);
        const g = grad.data.subarray(bestRow * d, (bestRow + 1) * d);
        const scale = (bestDist + 1e-4) / bestNorm;
        const o = i * d;
        for (let j = 0; j < d; j++) {
          if (mask && mask[j] === 1) continue;
          rTot[o + j] += scale * g[j]!;
          const v = src[o + j]! + (1 + overshoot) * rTot[o + j]!;
          adv[o + j] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      active = Int32Array.from(still);
      ctx.progress((it + 1) / steps);
    }
    return adv;
  }
}

/** The m highest-scoring classes of each row other than its label, best first. */
function topOthers(logits: Batch, labels: Int32Array, m: number): Int32Array {
  const k = sampleSize(logits.shape);
  const n = labels.length;
  const out = new Int32Array(n * m);
  const order = Array.from({ length: k }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    const z = logits.data.subarray(i * k, (i + 1) * k);
    const ranked = order.filter((j) => j !== labels[i]).sort((a, b) => z[b]! - z[a]! || a - b);
    for (let c = 0; c < m; c++) out[i * m + c] = ranked[c]!;
  }
  return out;
}

function argmax(z: Float32Array): number {
  let best = 0;
  for (let j = 1; j < z.length; j++) if (z[j]! > z[best]!) best = j;
  return best;
}

function softmax(z: Float32Array): Float64Array {
  let mx = -Infinity;
  for (const v of z) if (v > mx) mx = v;
  const p = Float64Array.from(z, (v) => Math.exp(v - mx));
  let s = 0;
  for (const v of p) s += v;
  for (let j = 0; j < p.length; j++) p[j]! /= s;
  return p;
}

/** Registry component `deepfool` ({@link DeepFool}) with presets. */
export const deepFoolComponent = attackComponent({
  id: 'deepfool',
  summary: 'DeepFool (Moosavi-Dezfooli et al. 2016), L2, untargeted, minimal perturbation',
  params: deepFoolParams,
  presets: { cifar10: { overshoot: 10, scores: 'probabilities' }, imagenet: { overshoot: 35, scores: 'probabilities' } },
  examples: ['deepfool', 'deepfool:overshoot=0.02,candidates=10,steps=50', 'deepfool:cifar10'],
  create: (p) => new DeepFool(p),
});
