import { sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { RowAdam } from '../adam.ts';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { ConstRounds } from '../const-rounds.ts';
import { cwMarginObjective } from '../l2-search.ts';
import { attackComponent } from '../presets.ts';
import { TanhBox } from '../tanh-space.ts';

/** Zod schema of the Carlini & Wagner L-inf parameters (defaults: lr 5e-3, c from 1e-5 up to 20, tau shrink 0.9, abort early on). */
export const cwInfParams = z.strictObject({
  confidence: z.number().min(0).default(10).describe('kappa: logit margin the result must clear'),
  lr: z.number().gt(0).default(5e-3).describe('Adam learning rate'),
  iterations: z.number().int().min(1).default(1000).describe('Adam steps per value of c'),
  initialConst: z.number().gt(0).default(1e-5).describe('first c'),
  largestConst: z.number().gt(0).default(20).describe('give up on a tau once c reaches this'),
  constFactor: z.number().gt(1).default(2).describe('c grows by this factor after a failed round of iterations'),
  decreaseFactor: z.number().gt(0).lt(1).default(0.9).describe('tau shrinks by this factor after a success'),
  abortEarly: z.boolean().default(true).describe('end a round at one c once its objective stalls, not after all iterations'),
});
/** Parameters of {@link CwInf}, as validated by {@link cwInfParams}. */
export type CwInfParams = z.infer<typeof cwInfParams>;

/** tau stops shrinking below 1/256 of the range: one 8-bit grey level. */
const SMALLEST_TAU = 1 / 256;

/**
 * Carlini & Wagner L-inf (S&P 2017, section VI-C; nn_robust_attacks li_attack.py). L-inf is not
 * differentiable in a useful way, so the attack penalizes only what exceeds a threshold tau:
 *   minimize c * max(0, margin(Z(x*)) + kappa) + sum_i max(0, |x*_i - x_i| - tau),  x* = tanh-box(w)
 * Per sample: start with tau = 1 (the whole range); run Adam from the last success (fresh optimizer
 * state); as soon as the objective is below 1e-4 c and the iterate is classified as wanted, it is
 * the new solution, tau becomes min(tau, its L-inf) * 0.9 and the next round starts; after
 * `iterations` steps without success (or, with abortEarly, once the objective stalls: see
 * ConstRounds) c doubles (the iterate and optimizer state carry on), up to `largestConst`, where the
 * sample stops with its last solution (the clean input if none). Stops once tau <= 1/256. The
 * iterate tested is the one the objective was computed at (CW returns the one after the step: one
 * model call more per success, for no gain). Defaults (the MNIST setting of the reference
 * evaluation; the rest as in CW's code): confidence 10, lr 5e-3, 1000 iterations, c from 1e-5 up to
 * 20, doubling, tau * 0.9, abort early. All samples still running share each model call.
 */
export class CwInf extends AttackBase<CwInfParams> {
  readonly id = 'cwinf';
  readonly norm = 'linf';
  readonly targeted = true;

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const p = this.params;
    const x = ctx.x.data;
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const range = ctx.space.bounds[1] - ctx.space.bounds[0];
    const mask = ctx.space.immutable;
    const box = new TanhBox(ctx.space.bounds);
    const anchor = box.anchor(x);
    const objective = cwMarginObjective(ctx, p.confidence, 0);
    const adam = new RowAdam(n, d, p.lr);
    const w = box.encode(x);
    const solution = x.slice();
    const tau = new Float64Array(n).fill(range);
    const rounds = new ConstRounds(n, p.initialConst, p.iterations, p.constFactor, p.largestConst, p.abortEarly);
    const c = rounds.c;
    const done = new Uint8Array(n);
    const xs = new Float32Array(n * d);
    const jac = new Float64Array(n * d);
    const g = new Float64Array(n * d);
    const tail = ctx.x.shape.slice(1);
    let finished = 0;
    while (finished < n) {
      ctx.checkAborted();
      const active = Int32Array.from(done.keys()).filter((i) => !done[i]);
      const m = active.length;
      box.decodeRows(w, anchor, active, d, x, xs, jac, mask);
      const ev = await objective({ data: xs.subarray(0, m * d), shape: [m, ...tail] }, active);
      for (let r = 0; r < m; r++) {
        const i = active[r]!;
        const o = i * d;
        const q = r * d;
        const t = tau[i]!;
        let excess = 0;
        let linf = 0;
        for (let j = 0; j < d; j++) {
          const delta = xs[q + j]! - x[o + j]!;
          const a = Math.abs(delta);
          if (a > linf) linf = a;
          const over = a > t;
          if (over) excess += a - t;
          g[q + j] = (c[i]! * ev.grad[q + j]! + (over ? Math.sign(delta) : 0)) * jac[q + j]!;
        }
        const objective = c[i]! * ev.value[r]! + excess;
        if (objective < 1e-4 * c[i]! && ev.success[r]) {
          // A solution within tau: keep it, tighten tau, and restart the optimizer from it.
          solution.set(xs.subarray(q, q + d), o);
          tau[i] = Math.min(t, linf) * p.decreaseFactor;
          if (tau[i]! <= SMALLEST_TAU * range) {
            done[i] = 1;
            finished++;
          } else {
            box.encode(solution.subarray(o, o + d), w.subarray(o, o + d));
            adam.reset(i);
            rounds.restart(i);
          }
          continue;
        }
        adam.step(i, w, g, q);
        if (!rounds.step(i, objective)) {
          done[i] = 1;
          finished++;
        }
      }
      ctx.progress(finished / n);
    }
    return solution;
  }
}

/** Registry component `cwinf` ({@link CwInf}) with presets. */
export const cwInfComponent = attackComponent({
  id: 'cwinf',
  summary: 'Carlini-Wagner L-inf (2017): tanh variables, Adam, shrinking tau, growing c',
  params: cwInfParams,
  presets: { mnist: { confidence: 10, iterations: 1000 }, cifar10: { confidence: 5 }, imagenet: { confidence: 5 } },
  examples: ['cwinf:mnist', 'cwinf:confidence=5', 'cwinf:preset=cifar10,iterations=100'],
  create: (p) => new CwInf(p),
});
