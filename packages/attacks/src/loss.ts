import { type Batch, sampleSize } from '@mixnsqueeze/core';
import { predictedLabelRow, tfCrossEntropy, tfSoftmax } from './tf-float32.ts';

/**
 * A per-sample scalar function of the logits and its gradient with respect to them. Attacks that
 * ascend a loss (FGSM, BIM, PGD, EOT-PGD) maximize `value`; optimization attacks (CW) minimize
 * their own objectives built from these pieces.
 */
export interface LogitLoss {
  /** Short name, e.g. `cross-entropy`. */
  readonly name: string;
  /** Fills value[i] and the row i of grad (N x classes) from logits (N x classes). */
  evaluate(logits: Batch, value: Float64Array, grad: Float32Array): void;
}

/**
 * Cross-entropy of the true label (untargeted: ascend to leave y), or minus the cross-entropy of
 * the target (targeted: ascend to reach t). Gradients: softmax - onehot(y), onehot(t) - softmax.
 */
export function crossEntropyLoss(labels: Int32Array, targets?: Int32Array): LogitLoss {
  return {
    name: targets ? 'targeted-cross-entropy' : 'cross-entropy',
    evaluate(logits, value, grad) {
      const n = logits.shape[0]!;
      const k = sampleSize(logits.shape);
      const z = logits.data;
      for (let i = 0; i < n; i++) {
        const o = i * k;
        let m = -Infinity;
        for (let j = 0; j < k; j++) if (z[o + j]! > m) m = z[o + j]!;
        let s = 0;
        for (let j = 0; j < k; j++) s += Math.exp(z[o + j]! - m);
        const lse = m + Math.log(s);
        const c = targets ? targets[i]! : labels[i]!;
        const sign = targets ? -1 : 1;
        value[i] = sign * (lse - z[o + c]!);
        for (let j = 0; j < k; j++) grad[o + j] = sign * (Math.exp(z[o + j]! - lse) - (j === c ? 1 : 0));
      }
    },
  };
}

/** How the softmax of a loss is computed: as TensorFlow's float32 kernels do (the reference) or in float64. */
export type SoftmaxArithmetic = 'float32' | 'float64';

/**
 * Cross-entropy against label distributions (rows of `weights`, N x classes, each summing to 1),
 * times `sign` (+1: ascend away from the labels; -1: minus the cross-entropy of targets, ascended
 * towards them). With `weights` 'predicted', each evaluation takes the labels from the logits it is
 * given, as cleverhans does when no labels are passed: the classes of largest probability, divided
 * by their count (ties share the weight). `softmax` 'float32' computes value and gradient as
 * TensorFlow's SoftmaxCrossEntropyWithLogits does (see tf-float32.ts: where the label's probability
 * rounds to 1 its gradient term is exactly 0); 'float64' is exact. Gradient: sign * (p - y).
 */
export function softmaxCrossEntropyLoss(weights: Float32Array | 'predicted', sign: 1 | -1, softmax: SoftmaxArithmetic): LogitLoss {
  let p = new Float32Array(0);
  let own = new Float32Array(0);
  return {
    name: `${sign < 0 ? 'targeted-' : ''}cross-entropy-${softmax}`,
    evaluate(logits, value, grad) {
      const n = logits.shape[0]!;
      const k = sampleSize(logits.shape);
      const z = logits.data;
      if (p.length !== k) {
        p = new Float32Array(k);
        own = new Float32Array(k);
      }
      for (let i = 0; i < n; i++) {
        const o = i * k;
        let y: ArrayLike<number>;
        if (weights === 'predicted') {
          if (softmax === 'float32') tfSoftmax(z, i, k, p);
          else for (let j = 0; j < k; j++) p[j] = z[o + j]!;
          predictedLabelRow(p, k, own);
          y = own;
        } else y = weights.subarray(o, o + k);
        if (softmax === 'float32') {
          value[i] = tfCrossEntropy(z, i, k, y, sign, grad);
          continue;
        }
        let m = -Infinity;
        for (let j = 0; j < k; j++) if (z[o + j]! > m) m = z[o + j]!;
        let s = 0;
        for (let j = 0; j < k; j++) s += Math.exp(z[o + j]! - m);
        const lse = m + Math.log(s);
        let loss = 0;
        for (let j = 0; j < k; j++) {
          loss += y[j]! * (lse - z[o + j]!);
          grad[o + j] = sign * (Math.exp(z[o + j]! - lse) - y[j]!);
        }
        value[i] = sign * loss;
      }
    },
  };
}

/** One-hot rows (N x classes) of integer labels: the weights of {@link softmaxCrossEntropyLoss}. */
export function oneHotWeights(labels: Int32Array, classes: number): Float32Array {
  const w = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => (w[i * classes + c] = 1));
  return w;
}

/**
 * Carlini & Wagner's margin on logits (2017, eq. f6), the quantity their attacks minimize:
 * targeted max(max_{j != t} Z_j - Z_t, -kappa); untargeted max(Z_y - max_{j != y} Z_j, -kappa).
 * Gradient 0 where the clamp at -kappa is active.
 */
export function cwMarginLoss(labels: Int32Array, targets: Int32Array | undefined, kappa: number): LogitLoss {
  return {
    name: 'cw-margin',
    evaluate(logits, value, grad) {
      const n = logits.shape[0]!;
      const k = sampleSize(logits.shape);
      const z = logits.data;
      grad.fill(0, 0, n * k);
      for (let i = 0; i < n; i++) {
        const o = i * k;
        const c = targets ? targets[i]! : labels[i]!;
        let other = -1;
        for (let j = 0; j < k; j++) if (j !== c && (other < 0 || z[o + j]! > z[o + other]!)) other = j;
        // targeted: other - target; untargeted: label - other.
        const margin = targets ? z[o + other]! - z[o + c]! : z[o + c]! - z[o + other]!;
        if (margin > -kappa) {
          value[i] = margin;
          grad[o + other] = targets ? 1 : -1;
          grad[o + c] = targets ? -1 : 1;
        } else value[i] = -kappa;
      }
    },
  };
}
