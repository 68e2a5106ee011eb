import { type Batch, sampleSize } from '@mixnsqueeze/core';

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
