import { type Batch, type Classifier, type KeyedPrg, sampleSize } from '@mixnsqueeze/core';
import { type LogitLoss } from '../loss.ts';
import { type AttackSurface, type LossAndGradient } from '../surface.ts';

/**
 * Gradients estimated from logits alone, for models without gradients (e.g. a plain ONNX model):
 * - `spsa` (Spall 1992; Uesato et al. 2018): Rademacher directions v, symmetric differences,
 *   g = mean_s (L(x + delta v) - L(x - delta v)) / (2 delta) * v;
 * - `nes` (Ilyas et al. 2018): Gaussian directions u with antithetic pairs,
 *   g = mean_s (L(x + sigma u) - L(x - sigma u)) / (2 sigma) * u.
 * Probe points are clipped to the feature bounds, since the model (or defense) rejects values
 * outside them. Each estimate costs 2 * samples forward queries per input, plus one at x.
 */
export class EstimatedSurface implements AttackSurface {
  readonly counts = { forward: 0, gradient: 0 };
  readonly spec: string;

  constructor(
    readonly model: Classifier,
    readonly kind: 'spsa' | 'nes',
    /** Direction pairs per estimate. */
    readonly samples: number,
    /** Probe step, relative to the bound width. */
    readonly step: number,
    private readonly prg: KeyedPrg,
  ) {
    this.spec = `${kind}:samples=${samples},step=${step}`;
  }

  async logits(x: Batch): Promise<Batch> {
    this.counts.forward += x.shape[0]!;
    return this.model.predict(x);
  }

  async lossAndGradient(x: Batch, loss: LogitLoss): Promise<LossAndGradient> {
    const n = x.shape[0]!;
    const d = sampleSize(x.shape);
    const k = this.model.classes;
    const [lo, hi] = this.model.space.bounds;
    const h = this.step * (hi - lo);
    const s = this.samples;
    // One batch of all probes, in 2s blocks of n rows (block 2j: x + h v_j, block 2j + 1: x - h v_j),
    // so that each block lines up with the loss's per-sample labels.
    const probes = new Float32Array(2 * s * n * d);
    const dirs = new Float32Array(n * s * d);
    const u = new Float64Array(dirs.length + (dirs.length & 1));
    this.prg.uniform(u);
    if (this.kind === 'spsa') for (let i = 0; i < dirs.length; i++) dirs[i] = u[i]! < 0.5 ? -1 : 1;
    else
      for (let i = 0; i < dirs.length; i += 2) {
        const r = Math.sqrt(-2 * Math.log(u[i]!));
        dirs[i] = r * Math.cos(2 * Math.PI * u[i + 1]!);
        if (i + 1 < dirs.length) dirs[i + 1] = r * Math.sin(2 * Math.PI * u[i + 1]!);
      }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < s; j++) {
        const v = (i * s + j) * d;
        const plus = (2 * j * n + i) * d;
        const minus = plus + n * d;
        for (let f = 0; f < d; f++) {
          const base = x.data[i * d + f]!;
          const step = h * dirs[v + f]!;
          const a = base + step;
          const b = base - step;
          probes[plus + f] = a < lo ? lo : a > hi ? hi : a;
          probes[minus + f] = b < lo ? lo : b > hi ? hi : b;
        }
      }
    const probeLogits = await this.model.predict({ data: probes, shape: [2 * s * n, ...x.shape.slice(1)] });
    const logits = await this.model.predict(x);
    this.counts.forward += n * (2 * s + 1);
    const probeValue = new Float64Array(2 * s * n);
    const scratch = new Float32Array(n * k);
    for (let b = 0; b < 2 * s; b++) {
      const block = { data: probeLogits.data.subarray(b * n * k, (b + 1) * n * k), shape: [n, k] };
      loss.evaluate(block, probeValue.subarray(b * n, (b + 1) * n), scratch);
    }
    const value = new Float64Array(n);
    loss.evaluate(logits, value, scratch);
    const grad = new Float32Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < s; j++) {
        const coef = (probeValue[2 * j * n + i]! - probeValue[(2 * j + 1) * n + i]!) / (2 * h * s);
        const v = (i * s + j) * d;
        for (let f = 0; f < d; f++) grad[i * d + f] += coef * dirs[v + f]!;
      }
    return { value, grad: { data: grad, shape: x.shape }, logits };
  }
}
