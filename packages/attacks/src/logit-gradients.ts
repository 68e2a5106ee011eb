import { type Batch, sampleSize } from '@mixnsqueeze/core';
import { type LogitLoss } from './loss.ts';
import { type AttackSurface, type LossAndGradient } from './surface.ts';

/**
 * The loss <c_i, z_i>: a fixed linear combination c_i of the logits of row i. Its gradient seed is
 * c_i itself, so a one-hot c gives a row of the Jacobian (d z_c / d x) and e_k - e_y gives
 * d (z_k - z_y) / d x, through whatever surface evaluates it.
 */
export function linearLogitLoss(coefficients: Float32Array): LogitLoss {
  return {
    name: 'linear-logits',
    evaluate(logits, value, grad) {
      const n = logits.shape[0]!;
      const k = sampleSize(logits.shape);
      const z = logits.data;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = i * k; j < (i + 1) * k; j++) s += coefficients[j]! * z[j]!;
        value[i] = s;
      }
      grad.set(coefficients.subarray(0, n * k));
    },
  };
}

/**
 * Gradients of several logit combinations per sample in one batched surface call: row r of the
 * result is the input gradient of <coefficients_r, logits(x_{sample[r]})>. The inputs are
 * replicated into one batch so that the model sees a single call however many rows are asked for
 * (JSMA needs 2 per sample, DeepFool one per candidate class).
 */
export function logitGradients(surface: AttackSurface, x: Batch, sample: Int32Array, coefficients: Float32Array): Promise<LossAndGradient> {
  return rowGradients(surface, x, sample, linearLogitLoss(coefficients));
}

/**
 * The input gradients of a loss whose rows are copies of samples: row r of the batch is
 * x_{sample[r]}, and `loss` sees the logits of every row (so it can make each row's gradient seed
 * a function of that row's logits, e.g. the softmax gradient of one class). One surface call.
 */
export function rowGradients(surface: AttackSurface, x: Batch, sample: Int32Array, loss: LogitLoss): Promise<LossAndGradient> {
  const d = sampleSize(x.shape);
  const rows = sample.length;
  const data = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) data.set(x.data.subarray(sample[r]! * d, (sample[r]! + 1) * d), r * d);
  return surface.lossAndGradient({ data, shape: [rows, ...x.shape.slice(1)] }, loss);
}
