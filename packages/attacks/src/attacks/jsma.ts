import { sampleSize } from '@mixnsqueeze/core';
import { z } from 'zod';
import { AttackBase, type AttackContext } from '../attack-base.ts';
import { laneRows } from '../lane-rows.ts';
import { logitGradients, rowGradients } from '../logit-gradients.ts';
import { probabilityJacobianLoss } from '../probability-jacobian.ts';
import { PairSearch } from '../pair-search.ts';
import { attackComponent } from '../presets.ts';
import { argmaxOf, tfSoftmax } from '../tf-float32.ts';

/** Zod schema of the JSMA parameters (defaults: theta 1.0, gamma 0.1, the Jacobian of the float32 probabilities, as cleverhans 2017). */
export const jsmaParams = z.strictObject({
  theta: z
    .number()
    .min(-1)
    .max(1)
    .refine((v) => v !== 0, 'theta must not be 0')
    .default(1)
    .describe('change applied to each chosen feature, relative to the bounds (> 0 increases, < 0 decreases)'),
  gamma: z.number().gt(0).max(1).default(0.1).describe('largest fraction of the features that may be changed'),
  jacobian: z
    .enum(['probabilities', 'logits'])
    .default('probabilities')
    .describe("saliency from the softmax probabilities (cleverhans on the model's softmax output) or from the logits (this attack's earlier reading)"),
  softmax: z
    .enum(['float32', 'float64'])
    .default('float32')
    .describe("with jacobian=probabilities: the softmax and its gradient as TensorFlow's float32 kernels compute them, or exactly"),
});
/** Parameters of {@link Jsma}, as validated by {@link jsmaParams}. */
export type JsmaParams = z.infer<typeof jsmaParams>;

/**
 * Jacobian-based Saliency Map Attack (Papernot, McDaniel, Jha, Fredrikson, Celik & Swami, "The
 * Limitations of Deep Learning in Adversarial Settings", EuroS&P 2016, Algorithms 2 and 3), L0,
 * targeted only, as cleverhans 2017's SaliencyMapMethod runs it (attacks_tf.py `jsma`,
 * `saliency_map`, `jacobian`) in the reference evaluation, which gave it the model's softmax
 * output. Per sample, with target t, s = sign(theta), and the search domain G = the mutable
 * features below the upper bound (theta > 0; above the lower bound for theta < 0):
 *   while argmax p(x') != t and iterations < floor(|features| * gamma / 2) and |G| > 1:
 *     a = d p_t / dx,  b = d (sum_{j != t} p_j) / dx     (float32, two rows per sample, one call)
 *     score(p, q) = -(a_p + a_q) * (b_p + b_q)  for pairs p != q in G with s (a_p + a_q) > 0 and
 *                   s (b_p + b_q) < 0, else 0        (float32, as numpy computes it)
 *     (p2, p1) = the first pair of largest score in row-major order (p2 < p1);
 *                no pair of positive score: numpy's argmax of the all-zero map, p1 = p2 = feature 0
 *     x'_p1 += theta, then x'_p2 += theta, each clipped to the bound theta moves towards
 *     (the fallback moves feature 0 twice, when it may move);  G -= {p1, p2}
 * The prediction is checked before every step (so after the last one too), and the loop ends
 * once the domain holds fewer than two features. Derivatives are those of the probabilities, with
 * `softmax` float32 in TensorFlow's arithmetic (see probability-jacobian.ts: where the predicted
 * class's probability is exactly 1.0, the "others" row is not minus the target row, and the
 * conditions select other pairs than the exact ones; `softmax=float64` gives those).
 * `jacobian=logits` is this attack before it followed cleverhans (derivatives of the logits z_t and
 * sum_{j != t} z_j, pair scores (a_p + a_q) * |b_p + b_q| in float64, and a sample stops when no
 * pair qualifies).
 * Defaults: theta 1.0, gamma 0.1 (the reference settings for MNIST and CIFAR-10; not run on
 * ImageNet), jacobian probabilities, softmax float32. Presets: mnist, cifar10 (the same). Use with
 * target next or ll. Cost per iteration: 2 gradient rows per sample not yet at its target, in one
 * batched surface call per lane (the surface's `lanes`: on a worker pool, each lane's pair search
 * overlaps the others' model calls); a pair search that is O(|G|^2) at worst and scores only the
 * pairs whose bound can hold the best one (pair-search.ts).
 */
export class Jsma extends AttackBase<JsmaParams> {
  readonly id = 'jsma';
  readonly norm = 'l0';
  readonly targeted = true;
  override readonly untargeted = false;

  constructor(params: z.input<typeof jsmaParams>) {
    super(jsmaParams.parse(params));
  }

  protected async perturb(ctx: AttackContext): Promise<Float32Array> {
    const p = this.params;
    const targets = ctx.targets!;
    const n = ctx.x.shape[0]!;
    const d = sampleSize(ctx.x.shape);
    const k = ctx.classes;
    const [lo, hi] = ctx.space.bounds;
    const immutable = ctx.space.immutable;
    const increase = p.theta > 0;
    const change = p.theta * (hi - lo);
    const maxIterations = Math.floor((d * p.gamma) / 2);
    const adv = ctx.x.data.slice();
    // Search domain: features that are mutable and not yet at the bound theta pushes towards.
    const domain = new Uint8Array(n * d);
    const domainSize = new Int32Array(n);
    for (let i = 0; i < n * d; i++) {
      const ok = immutable?.[i % d] !== 1 && (increase ? adv[i]! < hi : adv[i]! > lo);
      domain[i] = Number(ok);
      domainSize[Math.floor(i / d)] += Number(ok);
    }
    // The samples are independent: where the surface serves disjoint sub-batches concurrently
    // (a deterministic model on a worker pool), each lane iterates its own samples, so that one
    // lane's pair search overlaps the other lanes' model calls. Each sample sees the same values
    // as in one batch.
    const lanes = laneRows(n, ctx.surface.lanes ?? 1);
    let iterated = 0;
    const lane = async (samples: Int32Array) => {
      const search = new PairSearch(d);
      const prob = new Float32Array(k);
      let active = samples.filter((i) => domainSize[i]! > 1);
      for (let it = 0; it < maxIterations && active.length > 0; it++) {
        ctx.checkAborted();
        const rows = new Int32Array(2 * active.length);
        for (let a = 0; a < active.length; a++) rows[2 * a] = rows[2 * a + 1] = active[a]!;
        const x = { data: adv, shape: ctx.x.shape };
        const pairTargets = Int32Array.from(active, (i) => targets[i]!);
        const { grad, logits } =
          p.jacobian === 'probabilities'
            ? await rowGradients(ctx.surface, x, rows, probabilityJacobianLoss(pairTargets, p.softmax))
            : await logitGradients(ctx.surface, x, rows, logitCoefficients(pairTargets, k));
        const still: number[] = [];
        for (let a = 0; a < active.length; a++) {
          const i = active[a]!;
          let current: number;
          if (p.jacobian === 'probabilities' && p.softmax === 'float32') {
            tfSoftmax(logits.data, 2 * a, k, prob);
            current = argmaxOf(prob, k);
          } else current = argmaxOf(logits.data.subarray(2 * a * k, (2 * a + 1) * k), k);
          if (current === targets[i]) continue;
          const dom = domain.subarray(i * d, (i + 1) * d);
          const gt = grad.data.subarray(2 * a * d, (2 * a + 1) * d);
          const go = grad.data.subarray((2 * a + 1) * d, (2 * a + 2) * d);
          let pair: readonly number[];
          if (p.jacobian === 'probabilities') pair = search.cleverhans(dom, gt, go, increase) ?? [0, 0];
          else {
            const found = search.logits(dom, gt, go, increase);
            if (!found) continue; // no pair raises the target while lowering the others.
            pair = found;
          }
          for (const f of pair) {
            if (immutable?.[f] === 1) continue;
            const v = adv[i * d + f]! + change;
            adv[i * d + f] = increase ? Math.min(hi, v) : Math.max(lo, v);
          }
          for (const f of pair) {
            if (dom[f] !== 1) continue;
            dom[f] = 0;
            domainSize[i]--;
          }
          if (domainSize[i]! > 1) still.push(i);
        }
        active = Int32Array.from(still);
        iterated++;
        ctx.progress(iterated / (lanes.length * maxIterations));
      }
    };
    await Promise.all(lanes.map(lane));
    return adv;
  }
}

/** Coefficient rows of jacobian=logits: e_t (row 2a) and the sum of e_j over j != t (row 2a + 1). */
function logitCoefficients(targetOfPair: Int32Array, k: number): Float32Array {
  const coef = new Float32Array(2 * targetOfPair.length * k);
  targetOfPair.forEach((t, a) => {
    for (let j = 0; j < k; j++) coef[(2 * a + 1) * k + j] = j === t ? 0 : 1;
    coef[2 * a * k + t] = 1;
  });
  return coef;
}

/** Registry component `jsma` ({@link Jsma}) with presets. */
export const jsmaComponent = attackComponent({
  id: 'jsma',
  summary: 'Jacobian-based Saliency Map Attack (Papernot et al. 2016), L0, targeted, pairwise saliency of the probabilities (cleverhans)',
  params: jsmaParams,
  presets: { mnist: { theta: 1, gamma: 0.1 }, cifar10: { theta: 1, gamma: 0.1 } },
  examples: ['jsma:mnist', 'jsma:theta=1,gamma=0.1', 'jsma:theta=-1,gamma=0.05', 'jsma:preset=mnist,jacobian=logits'],
  create: (p) => new Jsma(p),
});
