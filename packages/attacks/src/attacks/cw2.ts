import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { cwMarginObjective, l2TanhSearch } from '../l2-search.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the Carlini & Wagner L2 parameters (defaults: lr 0.01, 1000 iterations x 9 binary steps from c = 1e-3, abort early). */
export const cw2Params = z.strictObject({
  confidence: z.number().min(0).default(10).describe('kappa: logit margin the result must clear'),
  lr: z.number().gt(0).default(0.01).describe('Adam learning rate'),
  iterations: z.number().int().min(1).default(1000).describe('Adam steps per binary-search step'),
  binarySteps: z.number().int().min(1).default(9).describe('binary-search steps on c'),
  initialConst: z.number().gt(0).default(1e-3).describe('first c'),
  abortEarly: z.boolean().default(true).describe('stop a search step once the objective stalls'),
});
/** Parameters of {@link Cw2}, as validated by {@link cw2Params}. */
export type Cw2Params = z.infer<typeof cw2Params>;

/**
 * Carlini & Wagner L2 (Carlini & Wagner, "Towards Evaluating the Robustness of Neural Networks",
 * S&P 2017; their nn_robust_attacks l2_attack.py):
 *   minimize ||x* - x||_2^2 + c * max(0, margin(Z(x*)) + kappa),  x* = tanh-box(w)
 * with the logit margin of reference.md (targeted max_{j != t} Z_j - Z_t, untargeted Z_y - max_{j != y} Z_j),
 * Adam on w from the clean input, and a per-sample binary search on c; every sample keeps its
 * successful iterate of smallest L2 (the clean input if none). Defaults (the MNIST setting of the
 * reference evaluation): confidence 10, lr 0.01, 1000 iterations, 9 binary steps, c from 1e-3,
 * abort early. One gradient call per active sample and iteration.
 */
export class Cw2 extends AttackBase<Cw2Params> {
  readonly id = 'cw2';
  readonly norm = 'l2';
  readonly targeted = true;

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const p = this.params;
    const r = await l2TanhSearch(ctx, cwMarginObjective(ctx, p.confidence), p);
    return r.adversarial;
  }
}

/** Registry component `cw2` ({@link Cw2}) with presets. */
export const cw2Component = attackComponent({
  id: 'cw2',
  summary: 'Carlini-Wagner L2 (2017): tanh variables, Adam, binary search on c, confidence kappa',
  params: cw2Params,
  presets: {
    mnist: { confidence: 10, iterations: 1000 },
    cifar10: { confidence: 5, iterations: 1000 },
    imagenet: { confidence: 5, iterations: 1000 },
  },
  examples: ['cw2:mnist', 'cw2:confidence=10', 'cw2:preset=cifar10,iterations=100,binarySteps=1'],
  create: (p) => new Cw2(p),
});
