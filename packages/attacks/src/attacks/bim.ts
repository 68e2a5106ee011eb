import { type FeatureSpace, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { ascentStep } from '../ascent-step.ts';
import { crossEntropyLoss } from '../loss.ts';
import { project } from '../norms.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the BIM parameters (defaults: eps 0.3, alpha 0.06, 10 steps). */
export const bimParams = z.strictObject({
  eps: z.number().gt(0).max(1).default(0.3).describe('L-inf budget, relative to the bounds'),
  step: z.number().gt(0).max(1).default(0.06).describe('step size alpha per iteration, relative to the bounds'),
  steps: z.number().int().min(1).max(100_000).default(10).describe('number of iterations'),
});
/** Parameters of {@link Bim}, as validated by {@link bimParams}. */
export type BimParams = z.infer<typeof bimParams>;

/**
 * Basic Iterative Method (Kurakin, Goodfellow & Bengio, "Adversarial Examples in the Physical
 * World", ICLR 2017 workshop), L-inf, FGSM repeated with a small step from the clean input:
 *   x_0 = x;  x_{t+1} = Clip_{x,eps}( x_t + alpha * sign(grad_x L(x_t)) ),
 * where Clip_{x,eps} clips to the eps-ball around x and to the feature bounds, and L is the
 * cross-entropy of the true label (untargeted) or minus the cross-entropy of the target (targeted:
 * Kurakin's "iterative least-likely class" method with target `ll`). No random start, no early stop
 * (as in the reference code, cleverhans' BasicIterativeMethod).
 * Defaults: eps 0.3, alpha 0.06, 10 iterations (the MNIST setting of the reference evaluation).
 * Presets: mnist (0.3 / 0.06), cifar10 (0.008 / 0.0012), imagenet (0.004 / 0.002), 10 iterations each.
 * Cost: `steps` gradients per sample.
 */
export class Bim extends AttackBase<BimParams> {
  readonly id = 'bim';
  readonly norm = 'linf';
  readonly targeted = true;

  protected override budget(space: FeatureSpace) {
    return { norm: 'linf', eps: this.params.eps * (space.bounds[1] - space.bounds[0]) } as const;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const [lo, hi] = ctx.space.bounds;
    const eps = this.params.eps * (hi - lo);
    const alpha = this.params.step * (hi - lo);
    const loss = crossEntropyLoss(ctx.labels, ctx.targets);
    const adv = ctx.x.data.slice();
    const d = sampleSize(ctx.x.shape);
    for (let t = 0; t < this.params.steps; t++) {
      ctx.checkAborted();
      const { value, grad } = await ctx.surface.lossAndGradient({ data: adv, shape: ctx.x.shape }, loss);
      ctx.recordLoss(t, value);
      ascentStep(adv, grad.data, alpha, 'linf', d);
      project(ctx.x, adv, 'linf', eps, lo, hi, ctx.space.immutable);
      ctx.progress((t + 1) / this.params.steps);
    }
    return adv;
  }
}

/** Registry component `bim` ({@link Bim}) with presets. */
export const bimComponent = attackComponent({
  id: 'bim',
  summary: 'Basic Iterative Method (Kurakin et al. 2017), L-inf, iterated FGSM',
  params: bimParams,
  presets: {
    mnist: { eps: 0.3, step: 0.06, steps: 10 },
    cifar10: { eps: 0.008, step: 0.0012, steps: 10 },
    imagenet: { eps: 0.004, step: 0.002, steps: 10 },
  },
  examples: ['bim:mnist', 'bim:eps=0.3,step=0.06,steps=10', 'bim:cifar10'],
  create: (p) => new Bim(p),
});
