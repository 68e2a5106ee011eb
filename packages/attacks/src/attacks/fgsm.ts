import { type FeatureSpace } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { oneHotWeights, softmaxCrossEntropyLoss } from '../loss.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the FGSM parameters (default eps 0.3). */
export const fgsmParams = z.strictObject({
  eps: z.number().gt(0).max(1).default(0.3).describe('L-inf budget, relative to the bounds'),
});
/** Parameters of {@link Fgsm}, as validated by {@link fgsmParams}. */
export type FgsmParams = z.infer<typeof fgsmParams>;

/**
 * Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial
 * Examples", ICLR 2015), L-inf, as cleverhans 2017's FastGradientMethod computes it when
 * EvadeML-Zoo calls it (`generate_np(X, eps, ord=inf, y=None, clip_min=0, clip_max=1)` on the
 * model's softmax output):
 *   x' = clip(x + eps * sign(grad_x L(x)), lo, hi)
 * with L the cross-entropy of the model's own prediction at x (y = None: one-hot of the largest
 * probability, ties sharing the weight; on correctly classified seeds this is the true label),
 * computed on the logits behind the softmax (cleverhans' `model_loss` takes the Softmax op's input)
 * in TensorFlow's float32 arithmetic: where the predicted class's probability rounds to exactly 1
 * (82 of the 100 MNIST seeds of the shipped model), its term of the gradient is 0 and the step
 * follows sum_{j != y} p_j grad z_j alone. The labels come from the same forward pass that the
 * gradient is taken at, as in cleverhans' graph, so they cost no extra query. Targeted
 * (not in the reference): minus the cross-entropy of the target, the same arithmetic.
 * The exact float64 gradient of the true label's cross-entropy (this attack before it followed the
 * reference) is `bim:steps=1,step=<eps>,eps=<eps>,softmax=float64,labels=given,clip=step`.
 * One gradient per sample. Defaults: eps 0.3 (the MNIST setting of the reference evaluation).
 */
export class Fgsm extends AttackBase<FgsmParams> {
  readonly id = 'fgsm';
  readonly norm = 'linf';
  readonly targeted = true;

  constructor(params: z.input<typeof fgsmParams>) {
    super(fgsmParams.parse(params));
  }

  protected override budget(space: FeatureSpace) {
    return { norm: 'linf', eps: this.params.eps * (space.bounds[1] - space.bounds[0]) } as const;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const eps = this.budget(ctx.space).eps;
    const loss = ctx.targets ? softmaxCrossEntropyLoss(oneHotWeights(ctx.targets, ctx.classes), -1, 'float32') : softmaxCrossEntropyLoss('predicted', 1, 'float32');
    const { grad } = await ctx.surface.lossAndGradient(ctx.x, loss);
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
