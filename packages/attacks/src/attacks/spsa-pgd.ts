import { type Capability, type Classifier, type FeatureSpace, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { RowAdam } from '../adam.ts';
import { pickRows } from '../cw-success.ts';
import { cwMarginLoss } from '../loss.ts';
import { project } from '../norms.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the SPSA attack parameters (defaults: eps 0.3, 100 iterations, lr 0.01). */
export const spsaParams = z.strictObject({
  eps: z.number().gt(0).max(1).default(0.3).describe('L-inf budget, relative to the bounds'),
  steps: z.number().int().min(1).max(100_000).default(100).describe('iterations'),
  lr: z.number().gt(0).max(1).default(0.01).describe('Adam learning rate, relative to the bounds'),
  samples: z.number().int().min(1).max(10_000).default(128).describe('SPSA direction pairs per gradient estimate'),
  delta: z.number().gt(0).max(0.5).default(0.01).describe('SPSA probe size, relative to the bounds'),
  earlyStop: z.boolean().default(true).describe('freeze a sample once its iterate is adversarial (saves queries)'),
});
/** Parameters of {@link SpsaPgd}, as validated by {@link spsaParams}. */
export type SpsaParams = z.infer<typeof spsaParams>;

/**
 * SPSA attack (Uesato, O'Donoghue, van den Oord & Kohli, "Adversarial Risk and the Dangers of
 * Evaluating Against Weak Attacks", ICML 2018, Algorithm 1), L-inf, black box: needs logits only.
 * Minimizes the margin on logits, untargeted Z_y - max_{j != y} Z_j, targeted
 * max_{j != t} Z_j - Z_t, with Adam steps on the SPSA gradient estimate, projected every step:
 *   g_t = (1/S) sum_{s=1..S} (L(x_t + delta v_s) - L(x_t - delta v_s)) / (2 delta) * v_s,  v_s ~ Rademacher^d
 *   x_{t+1} = Proj_{x,eps}( x_t - Adam_lr(g_t) ),  x_0 = x
 * The estimate is the `spsa` attack surface (so the same code runs on exact or EOT gradients when
 * a surface is named). With earlyStop a sample leaves the batch once its iterate is adversarial
 * (Uesato et al.'s early stopping at margin < 0).
 * Defaults: eps 0.3, 100 iterations, Adam lr 0.01 (beta 0.9 / 0.999, epsilon 1e-9 as in cleverhans),
 * 128 direction pairs of size delta 0.01 per estimate (Uesato et al.'s settings), default surface
 * `spsa:samples=128,step=0.01` even on differentiable models. Preset mnist: eps 0.3.
 * Cost: (2 * samples + 1) forward queries per sample and iteration.
 */
export class SpsaPgd extends AttackBase<SpsaParams> {
  readonly id = 'spsa-pgd';
  readonly norm = 'linf';
  readonly targeted = true;
  override readonly requires: readonly Capability[] = ['logits'];

  protected override surfaceFor(_model: Classifier): string {
    return `spsa:samples=${this.params.samples},step=${this.params.delta}`;
  }

  protected override budget(space: FeatureSpace) {
    return { norm: 'linf', eps: this.params.eps * (space.bounds[1] - space.bounds[0]) } as const;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const { steps, earlyStop } = this.params;
    const [lo, hi] = ctx.space.bounds;
    const eps = this.params.eps * (hi - lo);
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    // The iterates in float64 for Adam; `at` holds the active ones for the surface and projection.
    const w = Float64Array.from(ctx.x.data);
    const adam = new RowAdam(n, d, this.params.lr * (hi - lo), 0.9, 0.999, 1e-9);
    let active = Int32Array.from({ length: n }, (_, i) => i);
    for (let t = 0; t < steps && active.length > 0; t++) {
      ctx.checkAborted();
      const a = active.length;
      const x0 = new Float32Array(a * d);
      const at = new Float32Array(a * d);
      for (let r = 0; r < a; r++) {
        x0.set(ctx.x.data.subarray(active[r]! * d, (active[r]! + 1) * d), r * d);
        at.set(w.subarray(active[r]! * d, (active[r]! + 1) * d), r * d);
      }
      const shape = [a, ...ctx.x.shape.slice(1)];
      const loss = cwMarginLoss(pickRows(ctx.labels, active), ctx.targets && pickRows(ctx.targets, active), Infinity);
      const { value, grad } = await ctx.surface.lossAndGradient({ data: at, shape }, loss);
      ctx.recordLoss(t, value);
      const g = Float64Array.from(grad.data);
      const still: number[] = [];
      for (let r = 0; r < a; r++) {
        if (earlyStop && value[r]! < 0) continue; // already adversarial: keep x_t.
        still.push(r);
        adam.step(active[r]!, w, g, r * d);
        at.set(w.subarray(active[r]! * d, (active[r]! + 1) * d), r * d);
      }
      project({ data: x0, shape }, at, 'linf', eps, lo, hi, ctx.space.immutable);
      for (const r of still) w.set(at.subarray(r * d, (r + 1) * d), active[r]! * d);
      active = Int32Array.from(still, (r) => active[r]!);
      ctx.progress((t + 1) / steps);
    }
    return Float32Array.from(w);
  }
}

/** Registry component `spsa` ({@link SpsaPgd}) with presets. */
export const spsaPgdComponent = attackComponent({
  id: 'spsa-pgd',
  summary: 'SPSA attack (Uesato et al. 2018), L-inf, black box: Adam on SPSA gradient estimates from logits',
  params: spsaParams,
  presets: { mnist: { eps: 0.3 } },
  examples: ['spsa-pgd:mnist', 'spsa-pgd:eps=0.3,steps=100,samples=128', 'spsa-pgd:eps=0.1,samples=32,earlyStop=false'],
  create: (p) => new SpsaPgd(p),
});
