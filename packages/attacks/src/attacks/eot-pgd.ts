import { type Classifier, isDifferentiable } from '@mixnsqueeze/core';
import { z } from 'zod';
import { attackComponent } from '../presets.ts';
import { Pgd, pgdShape } from './pgd.ts';

/** Zod schema of the EOT-PGD parameters: those of PGD plus `k`, the draws per step (default 30). */
export const eotPgdParams = z.strictObject({
  ...pgdShape,
  k: z.number().int().min(1).max(10_000).default(30).describe('EOT draws of the defense randomness averaged per gradient'),
});
/** Parameters of {@link EotPgd}, as validated by {@link eotPgdParams}. */
export type EotPgdParams = z.infer<typeof eotPgdParams>;

/**
 * EOT-PGD (Athalye, Engstrom, Ilyas & Kwok, "Synthesizing Robust Adversarial Examples", ICML 2018;
 * Athalye, Carlini & Wagner, "Obfuscated Gradients Give a False Sense of Security", ICML 2018):
 * Madry's PGD (see pgd.ts) ascending the expected loss over the defense's randomness,
 *   x_{t+1} = Proj_{x,eps}( x_t + alpha * sign( (1/k) sum_{i=1..k} grad_x L(T_i(x_t)) ) ),
 * each T_i a fresh draw of the randomizer, differentiated through it (noise + clip exactly) and
 * through the squeezers as they declare (median exactly, rounding by BPDA identity). It is PGD run
 * on the `eot:k` surface, and nothing else: on a randomized differentiable model the default
 * surface is `eot:k`; on a deterministic one there is nothing to average and it falls back to PGD's
 * default (exact or bpda); an explicit surface option always wins.
 * Defaults: Madry's MNIST PGD (L-inf, eps 0.3, alpha 0.01, 40 steps, random start) with k = 30
 * (Athalye et al. used 30 to 40 draws). Cost: steps * restarts * k gradients per sample.
 * Whether the attack has converged is for `eotConvergence` (convergence.ts) to show: loss per step
 * and success against k. The report's `lossPerStep` holds this run's curve.
 */
export class EotPgd extends Pgd<EotPgdParams> {
  override readonly id = 'eot-pgd';

  protected override surfaceFor(model: Classifier): string {
    return isDifferentiable(model) && model.stochastic ? `eot:${this.params.k}` : super.surfaceFor(model);
  }
}

/** Registry component `eot-pgd` ({@link EotPgd}). */
export const eotPgdComponent = attackComponent({
  id: 'eot-pgd',
  summary: 'EOT-PGD (Athalye et al. 2018): PGD on the mean gradient of k draws of the defense randomness',
  params: eotPgdParams,
  presets: { mnist: { norm: 'linf', eps: 0.3, step: 0.01, steps: 40, k: 30 } },
  examples: ['eot-pgd:mnist', 'eot-pgd:k=30,steps=100', 'eot-pgd:eps=0.3,step=0.01,steps=40,k=10'],
  create: (p) => new EotPgd(p),
});
