import { type Batch, type DifferentiableClassifier, logitsAndGradient } from '@mixnsqueeze/core';
import { type LogitLoss } from '../loss.ts';
import { type AttackSurface, type LossAndGradient } from '../surface.ts';

/**
 * Gradients from the model itself. `exact`: true autodiff gradients (refused for models whose
 * gradient is a BPDA surrogate or that are randomized); `bpda`: whatever backward the model's
 * transforms declare (identity through rounding and NLM), one draw of any randomness;
 * `eot` (Athalye et al. 2018, Expectation over Transformation): the mean of `draws` losses and
 * gradients, each from its own fresh draw of the defense's randomness.
 */
export class GradientSurface implements AttackSurface {
  readonly counts = { forward: 0, gradient: 0 };
  readonly spec: string;

  constructor(
    readonly model: DifferentiableClassifier,
    readonly kind: 'exact' | 'bpda' | 'eot',
    /** Draws averaged per evaluation (`eot` only; 1 otherwise). */
    readonly draws = 1,
  ) {
    this.spec = kind === 'eot' ? `eot:${draws}` : kind;
  }

  async logits(x: Batch): Promise<Batch> {
    this.counts.forward += x.shape[0]!;
    return this.model.predict(x);
  }

  async lossAndGradient(x: Batch, loss: LogitLoss): Promise<LossAndGradient> {
    const n = x.shape[0]!;
    const k = this.model.classes;
    const value = new Float64Array(n);
    const drawValue = new Float64Array(n);
    let grad: Float32Array | undefined;
    let first: Batch | undefined;
    for (let d = 0; d < this.draws; d++) {
      const r = await logitsAndGradient(this.model, x, (logits) => {
        const seed = new Float32Array(n * k);
        loss.evaluate(logits, drawValue, seed);
        return { data: seed, shape: logits.shape };
      });
      for (let i = 0; i < n; i++) value[i] += drawValue[i]!;
      if (grad === undefined) grad = r.grad.data.slice();
      else for (let i = 0; i < grad.length; i++) grad[i] += r.grad.data[i]!;
      first ??= r.logits;
    }
    this.counts.forward += n * this.draws;
    this.counts.gradient += n * this.draws;
    if (this.draws > 1) {
      const inv = 1 / this.draws;
      for (let i = 0; i < n; i++) value[i] *= inv;
      for (let i = 0; i < grad!.length; i++) grad![i] *= inv;
    }
    return { value, grad: { data: grad!, shape: x.shape }, logits: first! };
  }
}
