import { BoundsError, type FeatureSpace, ParameterError, argmaxRows, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { ascentStep } from '../ascent-step.ts';
import { oneHotWeights, softmaxCrossEntropyLoss } from '../loss.ts';
import { project } from '../norms.ts';
import { attackComponent } from '../presets.ts';
import { predictedLabelRow, tfSoftmax } from '../tf-float32.ts';

/** Zod schema of the BIM parameters (defaults: eps 0.3, alpha 0.06, 10 steps; predicted labels, float32 softmax, clip at the end, as cleverhans 2017). */
export const bimParams = z.strictObject({
  eps: z.number().gt(0).max(1).default(0.3).describe('L-inf budget, relative to the bounds'),
  step: z.number().gt(0).max(1).default(0.06).describe('step size alpha per iteration, relative to the bounds'),
  steps: z.number().int().min(1).max(100_000).default(10).describe('number of iterations'),
  labels: z
    .enum(['predicted', 'given'])
    .default('predicted')
    .describe("untargeted: the model's own predictions on the clean inputs (cleverhans) or the labels given to run()"),
  softmax: z
    .enum(['float32', 'float64'])
    .default('float32')
    .describe("cross-entropy gradient as TensorFlow's float32 kernel computes it (cleverhans) or exactly, in float64"),
  clip: z
    .enum(['end', 'step'])
    .default('end')
    .describe('clip to the feature bounds once at the end (cleverhans: iterates may leave them) or after every step'),
});
/** Parameters of {@link Bim}, as validated by {@link bimParams}. */
export type BimParams = z.infer<typeof bimParams>;

/**
 * Basic Iterative Method (Kurakin, Goodfellow & Bengio, "Adversarial Examples in the Physical
 * World", ICLR 2017 workshop), L-inf, FGSM repeated with a small step from the clean input, as
 * cleverhans 2017's BasicIterativeMethod runs it when EvadeML-Zoo calls it
 * (`generate_np(X, eps, eps_iter, nb_iter=10, ord=inf, clip_min=0, clip_max=1)` on the softmax output):
 *   y = the model's prediction on x (`labels` predicted: one-hot of the largest probability, fixed
 *       for all steps; cleverhans ignores the `y` EvadeML-Zoo passes), eta_0 = 0;
 *   eta_{t+1} = clip_[-eps, eps]( (x + eta_t) + alpha * sign(grad L(x + eta_t)) - x );
 *   x' = clip_{lo, hi}(x + eta_T)
 * in float32, L the cross-entropy of y on the logits behind the softmax, as TensorFlow computes it
 * (`softmax` float32: where y's probability rounds to exactly 1 its gradient term is 0; see fgsm.ts).
 * The bounds are applied once, at the end (`clip` end): the inner FGSM steps get no clip_min /
 * clip_max, so the model sees iterates below 0 or above 1 (a pixel at 0 pushed down keeps going
 * down to -eps), and that changes the gradients of later steps. A model that refuses values out of
 * its bounds (a defense) needs `clip=step`. Targeted (with target `ll`, Kurakin's iterative
 * least-likely method; not in the reference): minus the cross-entropy of the target.
 * No random start, no early stop. Immutable features never move.
 * `labels=given,softmax=float64,clip=step` is this attack as it was before it followed the
 * reference: the true label's cross-entropy in float64, x_{t+1} = Clip_{x,eps}(x_t + alpha sign g)
 * clipped to the bounds after every step.
 * Defaults: eps 0.3, alpha 0.06, 10 iterations (the MNIST setting of the reference evaluation),
 * labels predicted, softmax float32, clip end. Presets: mnist (0.3 / 0.06), cifar10
 * (0.008 / 0.0012), imagenet (0.004 / 0.002), 10 iterations each.
 * Cost: `steps` gradients per sample, plus one forward pass for the predicted labels.
 */
export class Bim extends AttackBase<BimParams> {
  readonly id = 'bim';
  readonly norm = 'linf';
  readonly targeted = true;

  constructor(params: z.input<typeof bimParams>) {
    super(bimParams.parse(params));
  }

  protected override budget(space: FeatureSpace) {
    return { norm: 'linf', eps: this.params.eps * (space.bounds[1] - space.bounds[0]) } as const;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const p = this.params;
    const [lo, hi] = ctx.space.bounds;
    const k = ctx.classes;
    const loss = softmaxCrossEntropyLoss(ctx.targets ? oneHotWeights(ctx.targets, k) : await this.#labels(ctx), ctx.targets ? -1 : 1, p.softmax);
    const x = ctx.x.data;
    const d = sampleSize(ctx.x.shape);
    const adv = x.slice();
    for (let t = 0; t < p.steps; t++) {
      ctx.checkAborted();
      let r;
      try {
        r = await ctx.surface.lossAndGradient({ data: adv, shape: ctx.x.shape }, loss);
      } catch (e) {
        if (e instanceof BoundsError && p.clip === 'end') {
          throw new ParameterError(`bim: this model refuses inputs outside its bounds, and clip=end lets iterates leave them (${e.message}). Use clip=step.`);
        }
        throw e;
      }
      ctx.recordLoss(t, r.value);
      if (p.clip === 'step') {
        ascentStep(adv, r.grad.data, p.step * (hi - lo), 'linf', d);
        project(ctx.x, adv, 'linf', p.eps * (hi - lo), lo, hi, ctx.space.immutable);
      } else stepEta(x, adv, r.grad.data, Math.fround(p.step * (hi - lo)), Math.fround(p.eps * (hi - lo)), d, ctx.space.immutable);
      ctx.progress((t + 1) / p.steps);
    }
    // clip=end: x + eta_T goes to the bounds here (AttackBase's projection clips it).
    return adv;
  }

  /** The label weights of an untargeted run: given, or the model's predictions on the clean inputs. */
  async #labels(ctx: AttackContext): Promise<Float32Array> {
    const k = ctx.classes;
    if (this.params.labels === 'given') return oneHotWeights(ctx.labels, k);
    const logits = await ctx.surface.logits(ctx.x);
    if (this.params.softmax === 'float64') return oneHotWeights(argmaxRows(logits), k);
    const n = ctx.x.shape[0]!;
    const w = new Float32Array(n * k);
    const prob = new Float32Array(k);
    for (let i = 0; i < n; i++) {
      tfSoftmax(logits.data, i, k, prob);
      predictedLabelRow(prob, k, w.subarray(i * k, (i + 1) * k));
    }
    return w;
  }
}

/**
 * One step of cleverhans' BIM in float32, in place on adv = x + eta:
 * eta = clip((adv + alpha * sign g) - x, -eps, eps), adv = x + eta; immutable features stay.
 */
function stepEta(x: Float32Array, adv: Float32Array, g: Float32Array, alpha: number, eps: number, d: number, immutable?: Uint8Array): void {
  const f = Math.fround;
  for (let i = 0; i < adv.length; i++) {
    if (immutable && immutable[i % d] === 1) continue;
    const gi = g[i]!;
    const moved = f(adv[i]! + (gi > 0 ? alpha : gi < 0 ? -alpha : 0));
    let eta = f(moved - x[i]!);
    eta = eta < -eps ? -eps : eta > eps ? eps : eta;
    adv[i] = f(x[i]! + eta);
  }
}

/** Registry component `bim` ({@link Bim}) with presets. */
export const bimComponent = attackComponent({
  id: 'bim',
  summary: 'Basic Iterative Method (Kurakin et al. 2017), L-inf, iterated FGSM as cleverhans runs it',
  params: bimParams,
  presets: {
    mnist: { eps: 0.3, step: 0.06, steps: 10 },
    cifar10: { eps: 0.008, step: 0.0012, steps: 10 },
    imagenet: { eps: 0.004, step: 0.002, steps: 10 },
  },
  examples: ['bim:mnist', 'bim:eps=0.3,step=0.06,steps=10', 'bim:cifar10', 'bim:preset=mnist,clip=step'],
  create: (p) => new Bim(p),
});
