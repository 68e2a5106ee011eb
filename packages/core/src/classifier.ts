import { type Batch } from './batch.ts';
import { type FeatureSpace } from './feature-space.ts';

/**
 * A model that maps a batch of inputs to a batch of logits (N x classes).
 * A randomized classifier (e.g. a Mix'n'Squeeze defense) answers differently for the same input
 * and says so with `stochastic: true`.
 */
export interface Classifier {
  /** The space the inputs live in (shape, bounds, layout); inputs are checked against it. */
  readonly space: FeatureSpace;
  /** Number of classes, the width of the logits. */
  readonly classes: number;
  /** True when repeated predictions of one input may differ (randomized defenses). */
  readonly stochastic: boolean;
  /** Logits of a batch, shape N x classes (one fresh draw of the randomness for stochastic models). */
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
  /** Gradient with respect to x of the sum over samples of <dLogits_i, logits(x_i)>; same shape as x. */
  vjp(x: Batch, dLogits: Batch): Promise<Batch>;
  /**
   * `bpda` when part of the gradient is a surrogate (a defense with rounding or NLM in it); absent
   * or `exact` for true gradients.
   */
  readonly gradientKind?: 'exact' | 'bpda';
}

/** A classifier with input gradients; what white-box attacks and exact surfaces need. */
export type DifferentiableClassifier = Classifier & Differentiable;

/** Whether a classifier offers input gradients (has a `vjp`). */
export function isDifferentiable(c: Classifier): c is DifferentiableClassifier {
  return typeof (c as Partial<Differentiable>).vjp === 'function';
}

/** Capabilities an attack or surface may require of a model. */
export type Capability = 'logits' | 'gradients';

/** The capabilities a model offers: always `logits`, plus `gradients` when it is differentiable. */
export function capabilitiesOf(c: Classifier): Capability[] {
  return isDifferentiable(c) ? ['logits', 'gradients'] : ['logits'];
}

/**
 * Optional capability of randomized differentiable models (e.g. a Mix'n'Squeeze defense): run one
 * forward pass with one draw of the randomness, let the caller turn its logits into a logit seed
 * (a loss gradient), and backpropagate through that same draw. Without it, a loss gradient of a
 * stochastic model would mix the logits of one draw with the Jacobian of another.
 */
export interface SameDrawDifferentiable {
  /** Runs one forward pass with one draw, asks `seedOf` for the logit seed and backpropagates through the same draw. */
  vjpWith(x: Batch, seedOf: (logits: Batch) => Batch): Promise<{ readonly logits: Batch; readonly grad: Batch }>;
}

/** Whether a classifier is differentiable and can give logits and gradient of one and the same random draw. */
export function isSameDrawDifferentiable(c: Classifier): c is DifferentiableClassifier & SameDrawDifferentiable {
  return isDifferentiable(c) && typeof (c as Partial<SameDrawDifferentiable>).vjpWith === 'function';
}

/**
 * Logits and the input gradient of a loss given by its logit seed, for any differentiable model:
 * one draw for randomized models that support it, predict then vjp otherwise.
 */
export async function logitsAndGradient(
  model: DifferentiableClassifier,
  x: Batch,
  seedOf: (logits: Batch) => Batch,
): Promise<{ readonly logits: Batch; readonly grad: Batch }> {
  if (isSameDrawDifferentiable(model)) return model.vjpWith(x, seedOf);
  const logits = await model.predict(x);
  return { logits, grad: await model.vjp(x, seedOf(logits)) };
}
