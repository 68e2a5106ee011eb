import { type FeatureSpace, sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { RowAdam } from '../adam.ts';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { ConstRounds } from '../const-rounds.ts';
import { cwMarginObjective } from '../l2-search.ts';
import { attackComponent } from '../presets.ts';
import { TanhBox } from '../tanh-space.ts';

/** Zod schema of the Carlini & Wagner L0 parameters (defaults: the reference's MNIST settings, abort early on). */
export const cw0Params = z.strictObject({
  confidence: z.number().min(0).default(10).describe('kappa: logit margin the result must clear'),
  lr: z.number().gt(0).default(0.01).describe('Adam learning rate'),
  iterations: z.number().int().min(1).default(1000).describe('Adam steps per value of c'),
  initialConst: z.number().gt(0).default(1e-3).describe('first c'),
  largestConst: z.number().gt(0).default(2e6).describe('give up once c reaches this'),
  constFactor: z.number().gt(1).default(2).describe('c grows by this factor after a failed round of iterations'),
  abortEarly: z.boolean().default(true).describe('end a round at one c once its objective stalls, not after all iterations'),
});
/** Parameters of {@link Cw0}, as validated by {@link cw0Params}. */
export type Cw0Params = z.infer<typeof cw0Params>;

/**
 * Carlini & Wagner L0 (S&P 2017, section VI-B; nn_robust_attacks l0_attack.py). L0 is not
 * differentiable, so the attack runs an L2 attack on a shrinking set of features it may change:
 *   minimize c * max(0, margin(Z(x*)) + kappa) + ||x* - x||_2^2, x* = tanh-box(w) on the allowed
 *   features, x elsewhere.
 * Per sample: Adam from the last solution (fresh optimizer state) until the margin term is below
 * 1e-4 and the iterate is classified as wanted; after `iterations` steps without that (or, with
 * abortEarly, once the objective stalls: see ConstRounds), c doubles (iterate and optimizer carry
 * on) up to `largestConst`, where the sample stops with its last solution (the clean input if none).
 * After each solution the least useful allowed pixels are frozen: ranked by
 * |sum over channels of (x* - x)| * sum over channels of |d loss / dw| (CW's score), in ascending
 * order, frozen one by one until one has a score above 0.01 or 0.3 * sqrt(pixels changed) were
 * frozen. A pixel is all channels of a position in HWC images (CW's default, not independent
 * channels), one feature otherwise. Defaults (the MNIST setting of the reference evaluation; the
 * rest as in CW's code): confidence 10 (CW's code hard-codes 0.01), lr 0.01, 1000 iterations, c
 * from 1e-3 up to 2e6, doubling, abort early. All samples still running share each model call.
 */
export class Cw0 extends AttackBase<Cw0Params> {
  readonly id = 'cw0';
  readonly norm = 'l0';
  readonly targeted = true;

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const p = this.params;
    const x = ctx.x.data;
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const range = ctx.space.bounds[1] - ctx.space.bounds[0];
    const per = pixelChannels(ctx.space);
    const box = new TanhBox(ctx.space.bounds);
    const anchor = box.anchor(x);
    const objective = cwMarginObjective(ctx, p.confidence, 0);
    const adam = new RowAdam(n, d, p.lr);
    const w = box.encode(x);
    const frozen = new Uint8Array(n * d);
    if (ctx.space.immutable) for (let i = 0; i < n; i++) frozen.set(ctx.space.immutable, i * d);
    const solution = x.slice();
    const rounds = new ConstRounds(n, p.initialConst, p.iterations, p.constFactor, p.largestConst, p.abortEarly);
    const c = rounds.c;
    const done = new Uint8Array(n);
    const xs = new Float32Array(n * d);
    const jac = new Float64Array(n * d);
    const g = new Float64Array(n * d);
    const tail = ctx.x.shape.slice(1);
    let finished = 0;
    const stop = (i: number) => {
      done[i] = 1;
      finished++;
    };
    while (finished < n) {
      ctx.checkAborted();
      const active = Int32Array.from(done.keys()).filter((i) => !done[i]);
      const m = active.length;
      box.decodeRows(w, anchor, active, d, x, xs, jac, undefined, frozen);
      const ev = await objective({ data: xs.subarray(0, m * d), shape: [m, ...tail] }, active);
      for (let r = 0; r < m; r++) {
        const i = active[r]!;
        const o = i * d;
        const q = r * d;
        let l2 = 0;
        for (let j = 0; j < d; j++) {
          const delta = xs[q + j]! - x[o + j]!;
          l2 += delta * delta;
          g[q + j] = (c[i]! * ev.grad[q + j]! + 2 * delta) * jac[q + j]!;
        }
        if (ev.value[r]! < 1e-4 && ev.success[r]) {
          solution.set(xs.subarray(q, q + d), o);
          const left = freezeLeastUseful(x, xs, g, o, q, d, per, range, frozen);
          if (left === 0) stop(i);
          else {
            box.encode(solution.subarray(o, o + d), w.subarray(o, o + d));
            adam.reset(i);
            rounds.restart(i);
          }
          continue;
        }
        adam.step(i, w, g, q);
        if (!rounds.step(i, c[i]! * ev.value[r]! + l2)) stop(i);
      }
      ctx.progress(finished / n);
    }
    return solution;
  }
}

/** Channels that make one pixel: the last axis of HWC images, else every feature is its own. */
function pixelChannels(space: FeatureSpace): number {
  return space.layout === 'hwc' && space.shape.length === 3 ? space.shape[2]! : 1;
}

/**
 * CW's pixel freezing after a solution xs (row q) of sample o: scores each pixel by
 * |sum over its channels of (xs - x)| * sum over its channels of |grad| (values relative to the
 * range, as CW's [-0.5, 0.5] images are), freezes allowed pixels in ascending score order until
 * one scores above 0.01 or 0.3 * sqrt(changed pixels) are frozen. Returns the number of features
 * still allowed.
 */
export function freezeLeastUseful(
  x: Float32Array,
  xs: Float32Array,
  g: Float64Array,
  o: number,
  q: number,
  d: number,
  per: number,
  range: number,
  frozen: Uint8Array,
): number {
  const pixels = d / per;
  const score = new Float64Array(pixels);
  let changed = 0;
  for (let p = 0; p < pixels; p++) {
    let change = 0;
    let slope = 0;
    let moved = false;
    for (let ch = 0; ch < per; ch++) {
      const j = p * per + ch;
      const delta = (xs[q + j]! - x[o + j]!) / range;
      if (Math.abs(delta) >= 1e-4) moved = true;
      change += delta;
      slope += Math.abs(g[q + j]!);
    }
    score[p] = Math.abs(change) * slope;
    if (moved) changed++;
  }
  const order = Array.from({ length: pixels }, (_, p) => p).sort((a, b) => score[a]! - score[b]!);
  const limit = 0.3 * Math.sqrt(changed);
  let did = 0;
  for (const p of order) {
    let allowed = true;
    for (let ch = 0; ch < per; ch++) if (frozen[o + p * per + ch] === 1) allowed = false;
    if (!allowed) continue;
    did++;
    for (let ch = 0; ch < per; ch++) frozen[o + p * per + ch] = 1;
    if (score[p]! > 0.01 || did >= limit) break;
  }
  let left = 0;
  for (let j = 0; j < d; j++) if (frozen[o + j] === 0) left++;
  return left;
}

/** Registry component `cw0` ({@link Cw0}) with presets. */
export const cw0Component = attackComponent({
  id: 'cw0',
  summary: 'Carlini-Wagner L0 (2017): L2 attack on a shrinking set of pixels, least useful frozen first',
  params: cw0Params,
  presets: { mnist: { confidence: 10, iterations: 1000 }, cifar10: { confidence: 5 }, imagenet: { confidence: 5 } },
  examples: ['cw0:mnist', 'cw0:confidence=5', 'cw0:preset=cifar10,iterations=100'],
  create: (p) => new Cw0(p),
});
