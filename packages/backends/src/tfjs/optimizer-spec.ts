import * as tf from '@tensorflow/tfjs';
import { ParameterError } from '@mixnsqueeze/core';
import { KerasSgdOptimizer } from './keras-sgd.ts';

/** Adam with a step schedule: the learning rate is halved every `halveEvery` epochs. */
export interface AdamSpec {
  /** Discriminant. */
  readonly kind: 'adam';
  /** Initial learning rate. */
  readonly learningRate: number;
  /** Halve the learning rate every this many epochs (0: constant). */
  readonly halveEvery: number;
}

/** Keras 2.0's SGD: lr / (1 + decay * steps so far), momentum, optionally Nesterov ({@link KerasSgdOptimizer}). */
export interface SgdSpec {
  /** Discriminant. */
  readonly kind: 'sgd';
  /** Initial learning rate. */
  readonly learningRate: number;
  /** Keras' per-step time decay (0: constant). */
  readonly decay: number;
  /** Momentum (0: plain SGD). */
  readonly momentum: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
}

/** The optimizer of a training run. */
export type OptimizerSpec = AdamSpec | SgdSpec;

/** Builds the optimizer a spec describes. */
export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  if (!(spec.learningRate > 0)) throw new ParameterError(`optimizer: learning rate must be > 0, got ${spec.learningRate}.`);
  if (spec.kind === 'adam') return tf.train.adam(spec.learningRate);
  return new KerasSgdOptimizer(spec);
}

/**
 * Sets the learning rate of an epoch where the schedule is per epoch (Adam's halving); returns the
 * rate the epoch starts with. Keras' SGD decays per step by itself.
 */
export function startEpoch(optimizer: tf.Optimizer, spec: OptimizerSpec, epoch: number): number {
  if (spec.kind === 'sgd') return (optimizer as KerasSgdOptimizer).currentLearningRate;
  const lr = spec.halveEvery > 0 ? spec.learningRate * 0.5 ** Math.floor((epoch - 1) / spec.halveEvery) : spec.learningRate;
  // tfjs' AdamOptimizer reads this field at every step.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
  return lr;
}

/** The learning rate the optimizer's last step used. */
export function lastLearningRate(optimizer: tf.Optimizer, spec: OptimizerSpec): number {
  if (spec.kind === 'adam') return (optimizer as unknown as { learningRate: number }).learningRate;
  const t = Math.max(0, optimizer.iterations - 1);
  return spec.decay > 0 ? spec.learningRate / (1 + spec.decay * t) : spec.learningRate;
}

/** The spec as flat checkpoint configuration entries (a checkpoint of another optimizer is refused). */
export function optimizerConfig(spec: OptimizerSpec): Record<string, string | number | boolean> {
  return spec.kind === 'adam'
    ? { optimizer: 'adam', learningRate: spec.learningRate, halveEvery: spec.halveEvery }
    : { optimizer: 'sgd', learningRate: spec.learningRate, decay: spec.decay, momentum: spec.momentum, nesterov: spec.nesterov };
}
