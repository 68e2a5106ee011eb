import { type Batch } from './batch.ts';
import { type FeatureSpace } from './feature-space.ts';

/**
 * A model that maps a batch of inputs to a batch of logits (N x classes).
 * A randomized classifier (e.g. a Mix'n'Squeeze defense) answers differently for the same input
 * and says so with `stochastic: true`.
 */
export interface Classifier {
  readonly space: FeatureSpace;
  readonly classes: number;
  readonly stochastic: boolean;
  predict(x: Batch): Promise<Batch>;
  /** Optional human names of the classes. */
  readonly classNames?: readonly string[];
}

/**
 * Capability: input gradients. `vjp(x, g)` returns the gradient with respect to x of
 * sum over samples of <g_i, logits(x_i)>, i.e. the vector-Jacobian product; loss gradients are
 * built from it by choosing g (for cross-entropy g = softmax - onehot).
 */
export interface Differentiable {
  vjp(x: Batch, dLogits: Batch): Promise<Batch>;
}

export type DifferentiableClassifier = Classifier & Differentiable;

export function isDifferentiable(c: Classifier): c is DifferentiableClassifier {
  return typeof (c as Partial<Differentiable>).vjp === 'function';
}

/** Capabilities an attack or surface may require of a model. */
export type Capability = 'logits' | 'gradients';

export function capabilitiesOf(c: Classifier): Capability[] {
  return isDifferentiable(c) ? ['logits', 'gradients'] : ['logits'];
}
