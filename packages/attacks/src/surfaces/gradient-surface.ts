import { type Batch, type DifferentiableClassifier, logitsAndGradient } from '@mixnsqueeze/core';
import { type LogitLoss } from '../loss.ts';
import { type AttackSurface, type LossAndGradient } from '../surface.ts';

/** EOT draws computed concurrently; every draw's gradient is kept until they are summed in order. */
const DRAWS_IN_FLIGHT = 4;

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
  /** One per pool worker for a deterministic model on a worker pool, else 1 (see AttackSurface.lanes). */
  readonly lanes: number;

  constructor(
    readonly model: DifferentiableClassifier,
    readonly kind: 'exact' | 'bpda' | 'eot',
    /** Draws averaged per evaluation (`eot` only; 1 otherwise). */
    readonly draws = 1,
  ) {
    this.spec = kind === 'eot' ? `eot:${draws}` : kind;
    this.lanes = model.stochastic ? 1 : poolWorkers(model);
  }

  async logits(x: Batch): Promise<Batch> {
    this.counts.forward += x.shape[0]!;
    return this.model.predict(x);
  }

  async lossAndGradient(x: Batch, loss: LogitLoss): Promise<LossAndGradient> {
    const n = x.shape[0]!;
    const k = this.model.classes;
    // Draws are issued in order (a defense takes its keys when a call starts) with up to
    // DRAWS_IN_FLIGHT at once, so that worker pools stay busy while this thread prepares the next
    // draw; results are summed in draw order, so the mean is the same as one draw at a time.
    const draws: { value: Float64Array; logits: Batch; grad: Batch }[] = new Array(this.draws);
    let next = 0;
    const lane = async () => {
      while (next < this.draws) {
        const d = next++;
        const value = new Float64Array(n);
        const r = await logitsAndGradient(this.model, x, (logits) => {
          const seed = new Float32Array(n * k);
          loss.evaluate(logits, value, seed);
          return { data: seed, shape: logits.shape };
        });
        draws[d] = { value, ...r };
      }
    };
    await Promise.all(Array.from({ length: Math.min(DRAWS_IN_FLIGHT, this.draws) }, lane));
    const value = draws[0]!.value;
    const grad = draws[0]!.grad.data.slice();
    for (let d = 1; d < this.draws; d++) {
      const v = draws[d]!.value;
      const g = draws[d]!.grad.data;
      for (let i = 0; i < n; i++) value[i] += v[i]!;
      for (let i = 0; i < grad.length; i++) grad[i] += g[i]!;
    }
    const first = draws[0]!.logits;
    this.counts.forward += n * this.draws;
    this.counts.gradient += n * this.draws;
    if (this.draws > 1) {
      const inv = 1 / this.draws;
      for (let i = 0; i < n; i++) value[i] *= inv;
      for (let i = 0; i < grad.length; i++) grad[i] *= inv;
    }
    return { value, grad: { data: grad, shape: x.shape }, logits: first };
  }
}

/**
 * Workers of a model that runs on a worker pool (an ONNX model's `info.workers`), else 1. Read by
 * shape, so that attacks need not depend on the backends: a model that runs calls one at a time
 * reports no workers.
 */
function poolWorkers(model: DifferentiableClassifier): number {
  const info = (model as { info?: { workers?: unknown } }).info;
  const w = info?.workers;
  return typeof w === 'number' && Number.isInteger(w) && w > 1 ? w : 1;
}
