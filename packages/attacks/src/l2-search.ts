import { type Batch, sampleSize } from '@mixnsqueeze/core';
import { RowAdam } from './adam.ts';
import { type AttackContext } from './attack-base.ts';
import { ConstSearch, type ConstSchedule, HeConstSearch } from './binary-search.ts';
import { cwSucceeds, pickRows } from './cw-success.ts';
import { cwMarginLoss } from './loss.ts';
import { TanhBox } from './tanh-space.ts';
import { laneRows } from './lane-rows.ts';

/** What an L2 attack's classifier term says about a batch of iterates. */
export interface IterateEvaluation {
  /** Per-row attack term f(x*) >= 0, the part of the objective weighted by c. */
  readonly value: Float64Array;
  /** Its gradient with respect to the iterates (rows x features). */
  readonly grad: Float32Array;
  /** 1 where the iterate counts as a success, the ones "keep the best" may keep. */
  readonly success: Uint8Array;
  /**
   * 1 where the iterate fools the classifier, what `decideBy` final reads (He et al. decide c by
   * the classifier alone, ignoring the detector); success when absent.
   */
  readonly fools?: Uint8Array;
}

/** Evaluates the iterates xs of the samples `rows` (indices into the chunk). */
export type IterateObjective = (xs: Batch, rows: Int32Array) => Promise<IterateEvaluation>;

/** The settings of {@link l2TanhSearch}; the optional ones default to Carlini & Wagner's choices. */
export interface L2SearchSettings {
  /** Adam learning rate. */
  readonly lr: number;
  /** Adam steps per search step. */
  readonly iterations: number;
  /** Search steps on c. */
  readonly binarySteps: number;
  /** First c. */
  readonly initialConst: number;
  /** Stop a sample's search step once its objective stalls (checked every iterations/10 steps). */
  readonly abortEarly: boolean;
  /** How c moves between steps: Carlini & Wagner's (x10, bisection; default) or He et al.'s (log space). */
  readonly search?: 'carlini' | 'he';
  /**
   * What decides c: `any` (default), whether some iterate of the step succeeded (CW); `final`,
   * whether the step's final iterate, after its last Adam update, fools the classifier (He et al.);
   * that iterate is then evaluated too and may be kept as the best.
   */
  readonly decideBy?: 'any' | 'final';
  /** tanh variables anchored at the clean input (default), or He et al.'s encoding (TanhBox.encodeHe). */
  readonly encoding?: 'anchored' | 'he';
}

export interface L2SearchResult {
  /** The smallest successful iterate of each sample, or the clean input where none succeeded (see `found`). */
  readonly adversarial: Float32Array;
  readonly found: Uint8Array;
  /** Squared L2 distance of each kept iterate (Infinity where none). */
  readonly l2: Float64Array;
  /** The c of every sample in every search step: row `step` (binarySteps x N). */
  readonly consts: Float64Array;
}

/**
 * The optimization of Carlini & Wagner's L2 attack (S&P 2017, section V-A; nn_robust_attacks
 * l2_attack.py), for any attack term f: minimize ||x* - x||_2^2 + c * f(x*) over w with
 * x* = tanh-box(w), by Adam from `start` (default: the clean input), `binarySteps` times with c set
 * by the per-sample search (`search`), keeping per sample the successful iterate of smallest L2
 * seen in any step. Each iterate is evaluated before its Adam update; with `decideBy` final the
 * iterate after the last update is evaluated as well and alone decides c (He et al.), otherwise c
 * follows whether any iterate of the step succeeded (CW). Abort early: every iterations/10 steps a
 * sample whose objective did not fall below 0.9999 times its value at the previous check stops for
 * the rest of this search step (CW checks the sum over the batch; per sample the batch keeps working
 * on the samples that still improve, and drops the others from its model calls). All active samples
 * share each model call.
 */
export async function l2TanhSearch(ctx: AttackContext, objective: IterateObjective, s: L2SearchSettings, start?: Float32Array): Promise<L2SearchResult> {
  const x = ctx.x.data;
  const n = ctx.x.shape[0]!;
  const d = sampleSize(ctx.x.shape);
  const box = new TanhBox(ctx.space.bounds);
  const he = s.encoding === 'he';
  const anchor = he ? box.midAnchor(n * d) : box.anchor(x);
  const startW = he ? box.encodeHe(start ?? x) : box.encode(start ?? x);
  const mask = ctx.space.immutable;
  const w = new Float64Array(n * d);
  const adam = new RowAdam(n, d, s.lr);
  const search: ConstSchedule = s.search === 'he' ? new HeConstSearch(n, s.initialConst) : new ConstSearch(n, s.initialConst, s.binarySteps);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const best = x.slice();
  const bestL2 = new Float64Array(n).fill(Infinity);
  const found = new Uint8Array(n);
  const xs = new Float32Array(n * d);
  const jac = new Float64Array(n * d);
  const every = Math.max(1, Math.floor(s.iterations / 10));
  const tail = ctx.x.shape.slice(1);
  const consts = new Float64Array(s.binarySteps * n);
  // The samples are independent (own w, Adam moments, c and abort test): where the surface serves
  // disjoint sub-batches concurrently, each lane iterates its own samples, so that one lane's Adam
  // and tanh bookkeeping overlap the others' model calls. Each sample sees the same values as in
  // one batch.
  const lanes = laneRows(n, ctx.surface?.lanes ?? 1).map((rows) => ({ rows, xs: new Float32Array(rows.length * d), jac: new Float64Array(rows.length * d), g: new Float64Array(rows.length * d) }));
  for (let step = 0; step < s.binarySteps; step++) {
    ctx.checkAborted();
    search.begin(step);
    const c = search.c;
    consts.set(c, step * n);
    w.set(startW);
    for (let i = 0; i < n; i++) adam.reset(i);
    const prev = new Float64Array(n).fill(Infinity);
    const succeeded = new Uint8Array(n);
    let iterated = 0;
    const lane = async ({ rows, xs, jac, g }: (typeof lanes)[number]) => {
      let active = rows;
      for (let it = 0; it < s.iterations && active.length > 0; it++) {
        const m = active.length;
        box.decodeRows(w, anchor, active, d, x, xs, jac, mask);
        const ev = await objective({ data: xs.subarray(0, m * d), shape: [m, ...tail] }, active);
        const keep: number[] = [];
        const check = s.abortEarly && it % every === 0;
        for (let r = 0; r < m; r++) {
          const i = active[r]!;
          const o = i * d;
          const q = r * d;
          // Row views indexed from 0, as in RowAdam.step (offsets into the whole arrays made such
          // loops several times slower inside the attack).
          const xr = xs.subarray(q, q + d);
          const x0 = x.subarray(o, o + d);
          const dz = ev.grad.subarray(q, q + d);
          const jr = jac.subarray(q, q + d);
          const gr = g.subarray(q, q + d);
          const ci = c[i]!;
          let l2 = 0;
          for (let j = 0; j < d; j++) {
            const delta = xr[j]! - x0[j]!;
            l2 += delta * delta;
            gr[j] = (2 * delta + ci * dz[j]!) * jr[j]!;
          }
          if (ev.success[r]) {
            succeeded[i] = 1;
            if (l2 < bestL2[i]!) {
              bestL2[i] = l2;
              found[i] = 1;
              best.set(xs.subarray(q, q + d), o);
            }
          }
          adam.step(i, w, g, q);
          const loss = l2 + c[i]! * ev.value[r]!;
          if (check) {
            if (loss > prev[i]! * 0.9999) continue;
            prev[i] = loss;
          }
          keep.push(i);
        }
        active = Int32Array.from(keep);
        iterated++;
        ctx.progress((step + iterated / (lanes.length * s.iterations)) / s.binarySteps);
      }
    };
    await Promise.all(lanes.map(lane));
    if (s.decideBy !== 'final') {
      search.update(succeeded);
      continue;
    }
    // He et al.: "run it once more, because the last iteration in for loop doesn't get evaluated".
    box.decodeRows(w, anchor, all, d, x, xs, jac, mask);
    const ev = await objective({ data: xs, shape: ctx.x.shape }, all);
    const fools = ev.fools ?? ev.success;
    for (let i = 0; i < n; i++) {
      if (!ev.success[i]) continue;
      const l2 = squaredDistance(xs, x, i * d, d);
      if (l2 >= bestL2[i]!) continue;
      bestL2[i] = l2;
      found[i] = 1;
      best.set(xs.subarray(i * d, (i + 1) * d), i * d);
    }
    search.update(fools);
  }
  return { adversarial: best, found, l2: bestL2, consts };
}

/** Squared L2 distance of xs[o..o + d) to x[o..o + d), in float64. */
function squaredDistance(xs: Float32Array, x: Float32Array, o: number, d: number): number {
  let l2 = 0;
  for (let j = o; j < o + d; j++) l2 += (xs[j]! - x[j]!) ** 2;
  return l2;
}

/**
 * Carlini & Wagner's attack term on the surface: f = max(0, margin + kappa) with the logit margin
 * of reference.md (max(max_{j != t} Z_j - Z_t, -kappa) + kappa, i.e. cwMarginLoss shifted to 0), and
 * success by their compare with `successKappa` (default kappa) on the logits of the iterate (of one
 * draw, on an EOT surface).
 */
export function cwMarginObjective(ctx: AttackContext, kappa: number, successKappa = kappa): IterateObjective {
  return async (xs, rows) => {
    const labels = pickRows(ctx.labels, rows);
    const targets = ctx.targets && pickRows(ctx.targets, rows);
    const r = await ctx.surface.lossAndGradient(xs, cwMarginLoss(labels, targets, kappa));
    const m = rows.length;
    const value = new Float64Array(m);
    const success = new Uint8Array(m);
    for (let i = 0; i < m; i++) {
      value[i] = r.value[i]! + kappa;
      success[i] = Number(cwSucceeds(r.logits.data, i, ctx.classes, labels[i]!, targets?.[i], successKappa));
    }
    return { value, grad: r.grad.data, success };
  };
}
