import { type FeatureSpace, type Plugin, TOKENS, sampleSize } from '@mixnsqueeze/core';
import { AttackBase, type AttackContext, attackComponent, crossEntropyLoss, project } from '@mixnsqueeze/attacks';
import { z } from 'zod';

export const miFgsmParams = z.strictObject({
  eps: z.number().gt(0).max(1).default(0.3).describe('L-inf budget, relative to the bounds'),
  steps: z.number().int().min(1).max(10_000).default(10).describe('iterations T (step size eps / T)'),
  decay: z.number().min(0).default(1).describe('momentum decay mu'),
});
export type MiFgsmParams = z.infer<typeof miFgsmParams>;

/**
 * Momentum Iterative FGSM (Dong et al., "Boosting Adversarial Attacks with Momentum", CVPR 2018),
 * L-inf: g <- mu * g + grad / ||grad||_1; x' <- clip_{x, eps}(x' + (eps / T) * sign(g)), T times,
 * on the cross-entropy of the true label (untargeted) or minus that of the target (targeted).
 * Defaults: eps 0.3, T = 10, mu = 1 (the paper's). A third-party attack: it extends AttackBase,
 * writes only its core loop, and so gets validation, targets, surfaces (EOT, BPDA, SPSA), budget
 * projection, norms and query counts from the framework.
 */
export class MiFgsm extends AttackBase<MiFgsmParams> {
  readonly id = 'mi-fgsm';
  readonly norm = 'linf';
  readonly targeted = true;

  protected override budget(space: FeatureSpace) {
    return { norm: 'linf', eps: this.params.eps * (space.bounds[1] - space.bounds[0]) } as const;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const { eps } = this.budget(ctx.space);
    const [lo, hi] = ctx.space.bounds;
    const alpha = eps / this.params.steps;
    const d = sampleSize(ctx.x.shape);
    const adv = ctx.x.data.slice();
    const g = new Float64Array(adv.length);
    const loss = crossEntropyLoss(ctx.labels, ctx.targets);
    for (let t = 0; t < this.params.steps; t++) {
      ctx.checkAborted();
      const { grad } = await ctx.surface.lossAndGradient({ data: adv, shape: ctx.x.shape }, loss);
      for (let o = 0; o < adv.length; o += d) {
        let l1 = 0;
        for (let j = o; j < o + d; j++) l1 += Math.abs(grad.data[j]!);
        const inv = 1 / Math.max(l1, 1e-12);
        for (let j = o; j < o + d; j++) {
          g[j] = this.params.decay * g[j]! + grad.data[j]! * inv;
          adv[j] += alpha * Math.sign(g[j]!);
        }
      }
      project(ctx.x, adv, 'linf', eps, lo, hi, ctx.space.immutable);
      ctx.progress((t + 1) / this.params.steps);
    }
    return adv;
  }
}

/** The plugin: `registry.use(miFgsmPlugin)` or `mixnsqueeze --plugin <this module> attack mi-fgsm:eps=0.3 ...`. */
export const miFgsmPlugin: Plugin = {
  name: 'example-mi-fgsm',
  register(container) {
    container.bind(TOKENS.attack).toConstantValue(
      attackComponent({
        id: 'mi-fgsm',
        summary: 'Momentum Iterative FGSM (Dong et al. 2018), L-inf (example plugin)',
        params: miFgsmParams,
        presets: { mnist: { eps: 0.3 }, cifar10: { eps: 0.0156 } },
        examples: ['mi-fgsm:eps=0.3', 'mi-fgsm:mnist', 'mi-fgsm:eps=0.1,steps=20,decay=0.5'],
        create: (p) => new MiFgsm(p),
      }),
    );
  },
};
