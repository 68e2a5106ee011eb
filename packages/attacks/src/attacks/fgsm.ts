import { type FeatureSpace } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { crossEntropyLoss } from '../loss.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the FGSM parameters (default eps 0.3). */
export const fgsmParams = z.strictObject({
  eps: z.number().gt(0).max(1).default(0.3).describe('L-inf budget, relative to the bounds'),
});
/** Parameters of {@link Fgsm}, as validated by {@link fgsmParams}. */
export type FgsmParams = z.infer<typeof fgsmParams>;

/**
 * Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial
 * Examples", ICLR 2015), L-inf:
 *   x' = clip(x + eps * sign(grad_x L(x))), L = cross-entropy of the true label (untargeted, ascended)
 *   or minus the cross-entropy of the target (targeted).
 * One gradient per sample. Defaults: eps 0.3 (the MNIST setting of the reference evaluation).
 */
export class Fgsm extends AttackBase<FgsmParams> {
  readonly id = 'fgsm';
  readonly norm = 'linf';
  readonly targeted = true;

  protected override budget(space: FeatureSpace) {
    return { norm: 'linf', eps: this.params.eps * (space.bounds[1] - space.bounds[0]) } as const;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const eps = this.budget(ctx.space).eps;
    const { grad } = await ctx.surface.lossAndGradient(ctx.x, crossEntropyLoss(ctx.labels, ctx.targets));
    const adv = ctx.x.data.slice();
    const g = grad.data;
    for (let i = 0; i < adv.length; i++) adv[i] += eps * Math.sign(g[i]!);
    return adv;
  }
}

/** Registry component `fgsm` ({@link Fgsm}) with presets. */
export const fgsmComponent = attackComponent({
  id: 'fgsm',
  summary: 'Fast Gradient Sign Method (Goodfellow et al. 2015), L-inf, one step',
  params: fgsmParams,
  presets: { mnist: { eps: 0.3 }, cifar10: { eps: 0.0156 }, imagenet: { eps: 0.0078 } },
  examples: ['fgsm:eps=0.3', 'fgsm:mnist', 'fgsm:cifar10'],
  create: (p) => new Fgsm(p),
});
