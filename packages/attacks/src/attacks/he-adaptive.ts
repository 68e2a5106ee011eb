import {
  CapabilityError,
  ParameterError,
  type Registry,
  type Squeezer,
  concatBatches,
  sampleSize,
} from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { cwSucceeds, pickRows } from '../cw-success.ts';
import { type IterateObjective, l2TanhSearch } from '../l2-search.ts';
import { type LogitLoss, cwMarginLoss } from '../loss.ts';
import { attackComponent } from '../presets.ts';

/** Zod schema of the He et al. (WOOT 2017) parameters (defaults: the reference code's: lr 0.09, 5000 iterations x 9 search steps from c = 1 in log space, c decided by the final iterate, no abort early, T = 0.002915). */
export const heParams = z.strictObject({
  squeezers: z.string().min(1).default('bit-depth:1+median:2x2').describe("the detector's squeezers: squeezer specs joined by '+'"),
  threshold: z.number().min(0).max(2).default(0.002915).describe('detector threshold T on the L1 score'),
  confidence: z.number().min(0).default(0).describe("kappa in the loss's logit margin (the success test is the plain argmax, as theirs)"),
  lr: z.number().gt(0).default(0.09).describe('Adam learning rate'),
  iterations: z.number().int().min(1).default(5000).describe('Adam steps per search step'),
  binarySteps: z.number().int().min(1).default(9).describe('search steps on c'),
  initialConst: z.number().gt(0).default(1).describe('first c'),
  abortEarly: z.boolean().default(false).describe('stop a search step once the objective stalls (CW; the reference has none)'),
  search: z.enum(['he', 'carlini']).default('he').describe("how c moves: He et al.'s log-space rule (x e^2.3, / e^0.69, geometric bisection) or CW's (x10, bisection)"),
  decideBy: z
    .enum(['final', 'any'])
    .default('final')
    .describe("c follows whether the step's final iterate fools the classifier (He et al.) or whether any iterate fooled it and passed the detector"),
  encoding: z
    .enum(['he', 'anchored'])
    .default('he')
    .describe("tanh variables as He et al. (start at x pulled 0.2% towards mid-grey) or anchored at the clean input (CW's port here)"),
});
/** Parameters of {@link HeAdaptive}, as validated by {@link heParams}. */
export type HeParams = z.infer<typeof heParams>;

/**
 * He et al.'s adaptive attack on feature squeezing (He, Wei, Chen, Carlini & Song, "Adversarial
 * Example Defenses: Ensembles of Weak Defenses are not Strong", WOOT 2017), as their code runs it
 * (EvadeML-Zoo attacks/adaptive/adaptive_adversary.py, `adaptive_CarliniL2`; reference.md section 4).
 * Carlini & Wagner's L2 attack from the clean image x, with the detector folded into the attack term:
 *   minimize c * (max(0, margin(Z(x*)) + kappa) + sum_s max(0, ||softmax Z(x*) - softmax Z(s(x*))||_1 - T))
 *            + ||x* - x||_2^2
 * over w with x* = mid + half * tanh(w), starting from w = artanh((x - mid) / (1.002 half)) (their
 * `arctanh((x - 0.5) / 0.501)`), by Adam (lr 0.09, reset every search step), `iterations` steps per
 * search step, every step run to the end (their `abort_early` is not supported). Each iterate is
 * evaluated before its update, and the final one after the loop; a sample keeps the iterate of lowest
 * L2 that fools the classifier (plain argmax: the label loses, or the target wins; kappa only shapes
 * the loss) and passes every squeezer (L1 <= T: the detector flags only > T), across all steps.
 * c per sample, in log space from log c = log(initialConst) = 0: after a step whose *final iterate*
 * still does not fool the classifier (the detector plays no part), log c += 2.3 until a success
 * bounds it, then bisection; after one that does, log c -= 0.69 until a failure bounds it, then
 * bisection (binary-search.ts HeConstSearch). A sample for which no iterate qualified is returned
 * as the clean input (their `best_images` starts as a copy of the inputs), `success` 0.
 * Gradients flow through the median exactly (to the selected element) and not at all through
 * squeezers whose backward is a BPDA surrogate: the true gradient of rounding (their
 * `relu(sign(x - 0.5))`) is 0 almost everywhere, and the faithful attack uses it. No restarts, no
 * EOT: it attacks plain feature squeezing, a deterministic model (use he-eot against randomized
 * squeezing). Run it on the undefended model: the detector is described by the parameters. Per step,
 * one gradient call holds the iterates and the copies the gradient flows through (median), and the
 * copies whose gradient is 0 (rounding) are only run forward: the same loss, without back-propagating
 * rows whose gradient would be thrown away (a third of the backward work with the default detector).
 * What stays apart from their code: float64 softmax and L1 scores (theirs float32), and float64 Adam.
 * Defaults (their MNIST run): squeezers bit-depth:1 + median:2x2, T = 0.002915, kappa 0, Adam lr
 * 0.09, 5000 iterations x 9 search steps, c from 1, search he, decideBy final, encoding he, no abort
 * early. `search=carlini,decideBy=any,encoding=anchored,abortEarly=true` is this attack as it was
 * before it followed their code (CW's search on c decided by any successful iterate, the clean
 * input as the first iterate, abort early).
 */
export class HeAdaptive extends AttackBase<HeParams> {
  readonly id = 'he';
  readonly norm = 'l2';
  readonly targeted = true;
  /** The detector's squeezers, built from the `squeezers` spec. */
  readonly squeezers: readonly Squeezer[];

  constructor(params: Omit<z.input<typeof heParams>, 'squeezers'>, squeezers: readonly Squeezer[]) {
    if (squeezers.length === 0) throw new ParameterError('he: expected at least one squeezer, got none.');
    super(heParams.parse({ ...params, squeezers: squeezers.map((s) => s.spec).join('+') }));
    this.squeezers = squeezers;
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    if (ctx.surface.model.stochastic) {
      throw new CapabilityError('he attacks deterministic feature squeezing; the model is randomized: use he-eot.');
    }
    if (ctx.surface.kind !== 'exact' && ctx.surface.kind !== 'bpda') {
      throw new ParameterError(`he needs model gradients (surface exact or bpda), got '${ctx.surface.spec}'.`);
    }
    const r = await l2TanhSearch(ctx, detectorAwareObjective(ctx, this.squeezers, this.params.threshold, this.params.confidence), this.params);
    return r.adversarial;
  }
}

/**
 * The He et al. attack term and its gradient for a batch of iterates. View 0 is the iterates, view
 * s their copy by squeezer s; the joint loss couples the rows (the L1 distance of iterate i to its
 * copy i in view s) and backpropagates through softmax. The iterates and the views with an exact
 * gradient go through one gradient call; the other views' logits come from a forward call made
 * first (rounding's true gradient is 0: nothing flows back through them). `fools` is the plain
 * argmax test (their `correct_prediction`, negated); `success` is fools with every L1 score <= T.
 */
function detectorAwareObjective(ctx: AttackContext, squeezers: readonly Squeezer[], threshold: number, kappa: number): IterateObjective {
  const k = ctx.classes;
  const p = new Float64Array(k);
  const q = new Float64Array(k);
  const sg = new Float64Array(k);
  // Per view: whether its rows are back-propagated, and its place among the views of its call.
  const exact = [true, ...squeezers.map((s) => s.gradient === 'exact')];
  const slot = exact.map((e, v) => exact.slice(0, v).filter((f) => f === e).length);
  return async (xs, rows) => {
    const m = rows.length;
    const d = sampleSize(xs.shape);
    const labels = pickRows(ctx.labels, rows);
    const targets = ctx.targets && pickRows(ctx.targets, rows);
    const views = [xs, ...squeezers.map((s) => s.apply(xs, ctx.space))];
    const forwardOnly = views.filter((_, v) => !exact[v]);
    const fixed = forwardOnly.length > 0 ? (await ctx.surface.logits(concatBatches(forwardOnly))).data : new Float32Array(0);
    const value = new Float64Array(m);
    const success = new Uint8Array(m);
    const fools = new Uint8Array(m);
    const margin = cwMarginLoss(labels, targets, kappa);
    const loss: LogitLoss = {
      name: 'he-adaptive',
      evaluate(logits, v, grad) {
        const z = logits.data;
        grad.fill(0);
        v.fill(0);
        margin.evaluate({ data: z.subarray(0, m * k), shape: [m, k] }, v, grad);
        for (let i = 0; i < m; i++) {
          softmaxInto(z, i * k, k, p);
          let total = v[i]! + kappa;
          let passes = true;
          for (let s = 1; s < views.length; s++) {
            const o = (slot[s]! * m + i) * k;
            softmaxInto(exact[s] ? z : fixed, o, k, q);
            let l1 = 0;
            for (let j = 0; j < k; j++) l1 += Math.abs(p[j]! - q[j]!);
            if (l1 <= threshold) continue;
            passes = false;
            total += l1 - threshold;
            // d L1 / dp = sign(p - q), d L1 / dq = -sign(p - q); through softmax dz_a = p_a (g_a - <g, p>).
            let gp = 0;
            let gq = 0;
            for (let j = 0; j < k; j++) {
              sg[j] = Math.sign(p[j]! - q[j]!);
              gp += sg[j]! * p[j]!;
              gq += sg[j]! * q[j]!;
            }
            for (let j = 0; j < k; j++) grad[i * k + j] += p[j]! * (sg[j]! - gp);
            if (exact[s]) for (let j = 0; j < k; j++) grad[o + j] += q[j]! * (gq - sg[j]!);
          }
          value[i] = total;
          fools[i] = Number(cwSucceeds(z, i, k, labels[i]!, targets?.[i], 0));
          success[i] = Number(passes && fools[i] === 1);
        }
      },
    };
    const r = await ctx.surface.lossAndGradient(concatBatches(views.filter((_, v) => exact[v])), loss);
    const grad = r.grad.data.slice(0, m * d);
    squeezers.forEach((s, idx) => {
      // Rounding (and any BPDA-only squeezer) has true gradient 0: nothing to add.
      if (!exact[idx + 1]) return;
      const from = slot[idx + 1]! * m * d;
      const back = s.backward(xs, views[idx + 1]!, { data: r.grad.data.subarray(from, from + m * d), shape: xs.shape }, ctx.space).data;
      for (let j = 0; j < back.length; j++) grad[j] += back[j]!;
    });
    return { value, grad, success, fools };
  };
}

/** softmax of the k logits at z[o..] into out, in float64. */
function softmaxInto(z: Float32Array, o: number, k: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) if (z[o + j]! > max) max = z[o + j]!;
  let sum = 0;
  for (let j = 0; j < k; j++) sum += out[j] = Math.exp(z[o + j]! - max);
  for (let j = 0; j < k; j++) out[j] = out[j]! / sum;
}

/** Squeezer specs joined by '+' (`bit-depth:1+median:2x2`), built by the registry. */
export function parseSqueezerList(registry: Registry, text: string): Squeezer[] {
  return text
    .split('+')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => registry.squeezer(s));
}

/**
 * The registry component; it builds the squeezers named in the spec with the registry it is
 * registered in (the squeezers plugin must be used on it too).
 */
export function heComponent(registry: Registry) {
  return attackComponent({
    id: 'he',
    summary: "He et al. (WOOT 2017) adaptive attack on feature squeezing: CW-L2 + hinge on each squeezer's L1 score above T",
    params: heParams,
    presets: {
      mnist: { squeezers: 'bit-depth:1+median:2x2', threshold: 0.002915, iterations: 5000, binarySteps: 9, abortEarly: false, search: 'he', decideBy: 'final', encoding: 'he' },
    },
    examples: ['he:mnist', 'he:squeezers=bit-depth:1+median:2x2,threshold=0.002915', 'he:squeezers=median:3x3,threshold=0.01,iterations=500', 'he:preset=mnist,search=carlini,decideBy=any,encoding=anchored,abortEarly=true'],
    create: (p) => new HeAdaptive(p, parseSqueezerList(registry, p.squeezers)),
  });
}
