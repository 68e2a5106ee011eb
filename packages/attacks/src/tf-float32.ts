/**
 * TensorFlow's float32 softmax arithmetic, reproduced value by value, for the attacks whose
 * reference ran in TensorFlow 1.x (cleverhans 2017 in EvadeML-Zoo): what matters is not the last
 * bit but where float32 rounds a probability to exactly 1 and so removes a gradient term. On the
 * shipped MNIST model the top probability of 82 of the 100 seeds is exactly 1.0 in float32.
 *
 * - Softmax op (softmax_op_functor.h): shifted = z - max z; e = exp(shifted);
 *   p = e * (1 / sum e).
 * - SoftmaxCrossEntropyWithLogits (xent_op.h), the op cleverhans' `model_loss` builds from the
 *   softmax output's logits: its gradient with respect to the logits is exp(shifted) / sum e - y.
 * - Softmax gradient (nn_grad.py `_SoftmaxGrad`): dz = (g - sum(g * p)) * p; for the one-hot g of
 *   class j (the gradient of p_j, which cleverhans' `jacobian_graph` asks for),
 *   dz_k = ((k == j) - p_j) * p_k.
 * Every operation rounds to float32 (Math.fround), and results below the smallest normal float32
 * are flushed to zero, as TensorFlow's kernels run (flush-to-zero). Sums run in class order; the
 * kernels' vectorized order can differ in the last bit of a sum.
 */

const f = Math.fround;
/** The smallest normal float32, 2^-126: anything smaller flushes to zero. */
const MIN_NORMAL = 2 ** -126;

/** Rounds to float32 and flushes subnormal results to zero. */
function ftz(v: number): number {
  const r = f(v);
  return r > -MIN_NORMAL && r < MIN_NORMAL ? 0 : r;
}

/**
 * TensorFlow's Softmax op on row `row` of the N x k float32 logits z, into out[0..k): the
 * probabilities as the reference's `model(x)` returned them.
 */
export function tfSoftmax(z: Float32Array, row: number, k: number, out: Float32Array): void {
  const o = row * k;
  let m = z[o]!;
  for (let j = 1; j < k; j++) if (z[o + j]! > m) m = z[o + j]!;
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const e = ftz(Math.exp(f(z[o + j]! - m)));
    out[j] = e;
    sum = f(sum + e);
  }
  const inv = f(1 / sum);
  for (let j = 0; j < k; j++) out[j] = ftz(out[j]! * inv);
}

/**
 * The gradient with respect to the logits of TensorFlow's SoftmaxCrossEntropyWithLogits at row
 * `row` of z against the label distribution y[0..k) (rows summing to 1), times `sign`, into
 * grad[o..o + k); returns the loss sum_j y_j (log sum e - shifted_j), in float64.
 */
export function tfCrossEntropy(z: Float32Array, row: number, k: number, y: ArrayLike<number>, sign: 1 | -1, grad: Float32Array): number {
  const o = row * k;
  let m = z[o]!;
  for (let j = 1; j < k; j++) if (z[o + j]! > m) m = z[o + j]!;
  let sum = 0;
  for (let j = 0; j < k; j++) sum = f(sum + ftz(Math.exp(f(z[o + j]! - m))));
  const logSum = Math.log(sum);
  let loss = 0;
  for (let j = 0; j < k; j++) {
    const shifted = f(z[o + j]! - m);
    const p = ftz(ftz(Math.exp(shifted)) / sum);
    grad[o + j] = sign * f(p - y[j]!);
    loss += y[j]! * (logSum - shifted);
  }
  return sign * loss;
}

/**
 * The logit coefficients c_k = ((k == j) - p_j) * p_k of TensorFlow's softmax gradient for the
 * one-hot upstream gradient of class j, from float32 probabilities p (tfSoftmax), into out.
 * Back-propagated through the network they give d p_j / dx, as tf.gradients(probs[:, j], x) does.
 */
export function tfSoftmaxGradRow(p: Float32Array, j: number, k: number, out: Float64Array): void {
  const pj = p[j]!;
  for (let c = 0; c < k; c++) out[c] = ftz(f((c === j ? 1 : 0) - pj) * p[c]!);
}

/**
 * cleverhans' labels when none are given: the classes of largest float32 probability, one-hot,
 * divided by their count (`y = (preds == max preds) / sum`), for row `row`, into out[0..k).
 */
export function predictedLabelRow(p: Float32Array, k: number, out: Float32Array): void {
  let m = p[0]!;
  for (let j = 1; j < k; j++) if (p[j]! > m) m = p[j]!;
  let count = 0;
  for (let j = 0; j < k; j++) count += out[j] = p[j] === m ? 1 : 0;
  for (let j = 0; j < k; j++) out[j] = out[j]! / count;
}

/** The first class of largest value among out[0..k) (numpy's argmax). */
export function argmaxOf(v: ArrayLike<number>, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[j]! > v[best]!) best = j;
  return best;
}
