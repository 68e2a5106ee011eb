import { type Batch, type FeatureSpace, argmaxRows, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { ascentStep } from '../ascent-step.ts';
import { type LogitLoss, crossEntropyLoss } from '../loss.ts';
import { project } from '../norms.ts';
import { attackComponent } from '../presets.ts';
import { randomStart } from '../random-start.ts';

export const pgdShape = {
  norm: z.enum(['linf', 'l2']).default('linf').describe('threat model: linf (signed steps) or l2 (normalized steps)'),
  eps: z.number().gt(0).default(0.3).describe('budget in the chosen norm, relative to the bounds'),
  step: z.number().gt(0).default(0.01).describe('step size per iteration, relative to the bounds'),
  steps: z.number().int().min(1).max(100_000).default(40).describe('iterations per restart'),
  restarts: z.number().int().min(1).max(1000).default(1).describe('random restarts; each sample keeps its best'),
  randomStart: z.boolean().default(true).describe('start from a uniform point of the eps-ball (else from x)'),
};
/** Zod schema of the PGD parameters (defaults: L-inf, eps 0.3, step 0.01, 40 steps, 1 restart, random start). */
export const pgdParams = z.strictObject(pgdShape);
/** Parameters of {@link Pgd}, as validated by {@link pgdParams}. */
export type PgdParams = z.infer<typeof pgdParams>;

/**
 * Projected Gradient Descent (Madry, Makelov, Schmidt, Tsipras & Vladu, "Towards Deep Learning
 * Models Resistant to Adversarial Attacks", ICLR 2018): for each restart r,
 *   x_0 = x + U(eps-ball)  (random start);
 *   x_{t+1} = Proj_{x,eps}( x_t + alpha * s(grad_x L(x_t)) ),  s = sign for L-inf, g / ||g||_2 for L2,
 * where Proj projects onto the eps-ball around x and the feature bounds, and L is the cross-entropy
 * of the true label (untargeted) or minus the cross-entropy of the target (targeted). With several
 * restarts every sample keeps the final iterate of its best restart: a successful one first, then
 * the one of highest loss (one extra forward pass per sample and restart, only when restarts > 1).
 * Defaults: L-inf, eps 0.3, alpha 0.01, 40 steps, 1 restart, random start (Madry's MNIST setting).
 * Preset: mnist (the same). Cost: steps * restarts gradients per sample.
 */
export class Pgd<P extends PgdParams = PgdParams> extends AttackBase<P> {
  readonly id: string = 'pgd';
  readonly targeted = true;

  get norm(): 'linf' | 'l2' {
    return this.params.norm;
  }

  protected override budget(space: FeatureSpace) {
    return { norm: this.params.norm, eps: this.params.eps * (space.bounds[1] - space.bounds[0]) };
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const { norm, steps, restarts } = this.params;
    const [lo, hi] = ctx.space.bounds;
    const eps = this.params.eps * (hi - lo);
    const alpha = this.params.step * (hi - lo);
    const loss = crossEntropyLoss(ctx.labels, ctx.targets);
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const best = { adv: ctx.x.data.slice(), success: new Uint8Array(n), loss: new Float64Array(n).fill(-Infinity) };
    for (let r = 0; r < restarts; r++) {
      const adv = ctx.x.data.slice();
      if (this.params.randomStart) randomStart(adv, eps, norm, d, ctx.random(`start-${r}`));
      project(ctx.x, adv, norm, eps, lo, hi, ctx.space.immutable);
      const at: Batch = { data: adv, shape: ctx.x.shape };
      for (let t = 0; t < steps; t++) {
        ctx.checkAborted();
        const { value, grad } = await ctx.surface.lossAndGradient(at, loss);
        ctx.recordLoss(r * steps + t, value);
        ascentStep(adv, grad.data, alpha, norm, d);
        project(ctx.x, adv, norm, eps, lo, hi, ctx.space.immutable);
        ctx.progress((r * steps + t + 1) / (restarts * steps));
      }
      if (restarts === 1) return adv;
      await keepBest(ctx, at, loss, best);
    }
    return best.adv;
  }
}

/**
 * Scores every sample of `adv` (success first, then loss; one forward pass) and copies those that
 * beat their best so far into `best`.
 */
async function keepBest(
  ctx: AttackContext,
  adv: Batch,
  loss: LogitLoss,
  best: { adv: Float32Array; success: Uint8Array; loss: Float64Array },
): Promise<void> {
  const n = adv.shape[0]!;
  const d = sampleSize(adv.shape);
  const logits = await ctx.surface.logits(adv);
  const value = new Float64Array(n);
  loss.evaluate(logits, value, new Float32Array(logits.data.length));
  const predicted = argmaxRows(logits);
  for (let i = 0; i < n; i++) {
    const success = Number(ctx.targets ? predicted[i] === ctx.targets[i] : predicted[i] !== ctx.labels[i]);
    if (success > best.success[i]! || (success === best.success[i] && value[i]! > best.loss[i]!)) {
      best.success[i] = success;
      best.loss[i] = value[i]!;
      best.adv.set(adv.data.subarray(i * d, (i + 1) * d), i * d);
    }
  }
}

/** Registry component `pgd` ({@link Pgd}) with presets. */
export const pgdComponent = attackComponent({
  id: 'pgd',
  summary: 'Projected Gradient Descent (Madry et al. 2018), L-inf or L2, random start, restarts',
  params: pgdParams,
  presets: { mnist: { norm: 'linf', eps: 0.3, step: 0.01, steps: 40 } },
  examples: ['pgd:mnist', 'pgd:eps=0.3,step=0.01,steps=40', 'pgd:norm=l2,eps=2,step=0.1,steps=100,restarts=5'],
  create: (p) => new Pgd(p),
});
