import { type Classifier, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { cwSucceeds, pickRows } from '../cw-success.ts';
import { type IterateObjective, l2TanhSearch } from '../l2-search.ts';
import { type LogitLoss, cwMarginLoss } from '../loss.ts';
import { attackComponent } from '../presets.ts';
import { randomStart } from '../random-start.ts';

/** Zod schema of the parameters of the strengthened He et al. attack (BPDA + EOT over 30 draws, 3 restarts, He et al.'s lr and first c with CW's binary search). */
export const heEotParams = z.strictObject({
  draws: z.number().int().min(1).max(10_000).default(30).describe('EOT draws per step on a randomized model (its surface eot:draws)'),
  rate: z.number().gt(0).max(1).default(0.9).describe("fraction of a step's draws an iterate must fool to count as a success"),
  restarts: z.number().int().min(1).default(3).describe('runs per sample: the first from the clean input, the others from random starts'),
  restartRadius: z.number().gt(0).max(1).default(0.1).describe('L-inf radius of the random starts, relative to the bounds'),
  confidence: z.number().min(0).default(0).describe('kappa: logit margin each draw must clear'),
  lr: z.number().gt(0).default(0.09).describe('Adam learning rate'),
  iterations: z.number().int().min(1).default(1000).describe('Adam steps per binary-search step'),
  binarySteps: z.number().int().min(1).default(9).describe('binary-search steps on c'),
  initialConst: z.number().gt(0).default(1).describe('first c'),
  abortEarly: z.boolean().default(true).describe('stop a search step once the objective stalls'),
});
/** Parameters of {@link HeEot}, as validated by {@link heEotParams}. */
export type HeEotParams = z.infer<typeof heEotParams>;

/**
 * He et al.'s attack (WOOT 2017) strengthened against Mix'n'Squeeze itself, after Athalye et al.
 * (ICML 2018) and Tramer et al. (NeurIPS 2020). Run it on the defended model (randomizer ->
 * squeezers -> classifier). Mix'n'Squeeze answers with that classifier's label alone, so the attack
 * term is CW's margin on the defended model, in expectation over its randomness:
 *   minimize c * E_r[max(0, margin(Z(squeeze(clip(x* + r)))) + kappa)] + ||x* - x||_2^2
 * - EOT: by default the surface is eot:draws on a randomized model, each step averaging `draws`
 *   fresh draws of the defense's randomness (same draw forward and backward);
 * - BPDA: gradients pass through rounding as the identity and exactly through noise + clip and the
 *   median (the defense's declared backward), where the faithful attack gets zero from rounding;
 * - success of an iterate: at least `rate` of that step's draws classify it as wanted (CW's compare
 *   per draw); each sample keeps its successful iterate of lowest L2;
 * - random restarts: the first run starts from the clean input as He et al.'s does, the others from
 *   uniform points within `restartRadius`; the best over runs is kept.
 * Defaults: 30 draws, rate 0.9, 3 restarts of radius 0.1, kappa 0, and He et al.'s Adam lr 0.09,
 * 9 binary steps with c from 1 (moved by CW's x10 / bisection rule, not He et al.'s log-space one),
 * abort early; 1000 iterations (He et al. run 5000 on a
 * deterministic model: raise it to check convergence).
 */
export class HeEot extends AttackBase<HeEotParams> {
  readonly id = 'he-eot';
  readonly norm = 'l2';
  readonly targeted = true;

  protected override surfaceFor(model: Classifier): string {
    return model.stochastic ? `eot:${this.params.draws}` : super.surfaceFor(model);
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const p = this.params;
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const [lo, hi] = ctx.space.bounds;
    const objective = drawRateObjective(ctx, p.confidence, p.rate);
    const best = ctx.x.data.slice();
    const bestL2 = new Float64Array(n).fill(Infinity);
    for (let run = 0; run < p.restarts; run++) {
      let start: Float32Array | undefined;
      if (run > 0) {
        start = ctx.x.data.slice();
        randomStart(start, p.restartRadius * (hi - lo), 'linf', d, ctx.random(`restart-${run}`));
        for (let j = 0; j < start.length; j++) start[j] = Math.min(hi, Math.max(lo, start[j]!));
      }
      const r = await l2TanhSearch(ctx, objective, p, start);
      for (let i = 0; i < n; i++) {
        if (r.l2[i]! >= bestL2[i]!) continue;
        bestL2[i] = r.l2[i]!;
        best.set(r.adversarial.subarray(i * d, (i + 1) * d), i * d);
      }
    }
    return best;
  }
}

/**
 * CW's margin term through the surface, with success measured over the draws of the step: the
 * loss is evaluated once per draw with that draw's logits, and counts per row the draws that
 * classify the iterate as wanted. (An estimated surface also evaluates its probes, whose batches
 * have other sizes and are not counted.)
 */
function drawRateObjective(ctx: AttackContext, kappa: number, rate: number): IterateObjective {
  return async (xs, rows) => {
    const m = rows.length;
    const k = ctx.classes;
    const labels = pickRows(ctx.labels, rows);
    const targets = ctx.targets && pickRows(ctx.targets, rows);
    const margin = cwMarginLoss(labels, targets, kappa);
    const wins = new Int32Array(m);
    let draws = 0;
    const counting: LogitLoss = {
      name: 'cw-margin-per-draw',
      evaluate(logits, v, grad) {
        margin.evaluate(logits, v, grad);
        if (logits.shape[0] !== m) return;
        draws++;
        for (let i = 0; i < m; i++) if (cwSucceeds(logits.data, i, k, labels[i]!, targets?.[i], kappa)) wins[i]++;
      },
    };
    const r = await ctx.surface.lossAndGradient(xs, counting);
    const value = new Float64Array(m);
    const success = new Uint8Array(m);
    for (let i = 0; i < m; i++) {
      value[i] = r.value[i]! + kappa;
      success[i] = Number(wins[i]! >= rate * draws);
    }
    return { value, grad: r.grad.data, success };
  };
}

/** Registry component `he-eot` ({@link HeEot}) with presets. */
export const heEotComponent = attackComponent({
  id: 'he-eot',
  summary: "He et al.'s attack strengthened for randomized squeezing: EOT over the randomizer, BPDA through rounding, restarts",
  params: heEotParams,
  presets: { mnist: { draws: 30, iterations: 1000, binarySteps: 9 } },
  examples: ['he-eot:mnist', 'he-eot:draws=10,restarts=2', 'he-eot:draws=30,rate=0.95,iterations=2000'],
  create: (p) => new HeEot(p),
});
