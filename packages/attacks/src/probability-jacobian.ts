import { sampleSize } from '@mixnsqueeze/core';
import { type LogitLoss, type SoftmaxArithmetic } from './loss.ts';
import { tfSoftmax, tfSoftmaxGradRow } from './tf-float32.ts';

/**
 * The two saliency rows JSMA needs per sample, as derivatives of the softmax *probabilities*:
 * row 2a gives d p_t / dx and row 2a + 1 gives d (sum_{j != t} p_j) / dx for the target t of
 * pair a. Each row's gradient seed on the logits is built from that row's own logits, so one
 * surface call does both: c_t = ((k == t) - p_t) p_k, and the sum over j != t of the rows
 * c_j = ((k == j) - p_j) p_k, which is what cleverhans gets by summing the Jacobian rows of the
 * other classes (`jacobian`, attacks_tf.py).
 *
 * Exactly, the second row is minus the first (the probabilities sum to 1). In TensorFlow's float32
 * arithmetic (`softmax` float32, see tf-float32.ts) it is not: where the top class y has
 * p_y = 1.0 exactly, its own row loses the term (1 - p_y) p_y d z_y, so the sum of the other rows
 * keeps -(sum_{j not in {y, t}} p_j) d z_y where the exact value is +p_t d z_y. The coefficients
 * are summed here in float64 from the float32 rows, then back-propagated once; TensorFlow
 * back-propagates each row and sums the input gradients in float32, which differs by that
 * arithmetic's rounding (about 1e-7 of the largest row), not by the missing term.
 * `value` is p_t (row 2a) and 1 - p_t (row 2a + 1).
 */
export function probabilityJacobianLoss(targetOfPair: Int32Array, softmax: SoftmaxArithmetic): LogitLoss {
  let p32 = new Float32Array(0);
  let p64 = new Float64Array(0);
  let row = new Float64Array(0);
  let sum = new Float64Array(0);
  return {
    name: `probability-jacobian-${softmax}`,
    evaluate(logits, value, grad) {
      const n = logits.shape[0]!;
      const k = sampleSize(logits.shape);
      const z = logits.data;
      if (row.length !== k) {
        p32 = new Float32Array(k);
        p64 = new Float64Array(k);
        row = new Float64Array(k);
        sum = new Float64Array(k);
      }
      for (let r = 0; r < n; r++) {
        const t = targetOfPair[r >> 1]!;
        const others = (r & 1) === 1;
        if (softmax === 'float32') tfSoftmax(z, r, k, p32);
        else exactSoftmax(z, r * k, k, p64);
        sum.fill(0);
        // Row 2a: class t alone; row 2a + 1: every class but t.
        for (let j = 0; j < k; j++) {
          if (others === (j === t)) continue;
          if (softmax === 'float32') tfSoftmaxGradRow(p32, j, k, row);
          else for (let c = 0; c < k; c++) row[c] = ((c === j ? 1 : 0) - p64[j]!) * p64[c]!;
          for (let c = 0; c < k; c++) sum[c] += row[c]!;
        }
        for (let c = 0; c < k; c++) grad[r * k + c] = sum[c]!;
        const pt = softmax === 'float32' ? p32[t]! : p64[t]!;
        value[r] = others ? 1 - pt : pt;
      }
    },
  };
}

/** Softmax of the k logits at z[o..] into out, in float64. */
function exactSoftmax(z: Float32Array, o: number, k: number, out: Float64Array): void {
  let m = -Infinity;
  for (let j = 0; j < k; j++) if (z[o + j]! > m) m = z[o + j]!;
  let s = 0;
  for (let j = 0; j < k; j++) s += out[j] = Math.exp(z[o + j]! - m);
  for (let j = 0; j < k; j++) out[j] = out[j]! / s;
}
