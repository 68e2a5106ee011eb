import { type Batch } from './batch.ts';
import { type Capability, type Classifier } from './classifier.ts';

/** The perturbation norm an attack bounds or minimizes: L0 (changed features), L2, or L-infinity. */
export type Norm = 'l0' | 'l2' | 'linf';

/** Which label an attack aims for: away from the true one, or towards a target. */
export type TargetMode = 'untargeted' | 'next' | 'll' | Int32Array;

/** Per-sample outcome of an attack run. */
export interface AttackResult {
  /** The adversarial examples, same shape as the input batch. */
  readonly adversarial: Batch;
  /**
   * 1 where the model's label of the adversarial example meets the goal (misclassified, or the target hit), per
   * sample.
   */
  readonly success: Uint8Array;
  /** L0, L2 and L-infinity norms of each sample's perturbation (adversarial - clean), in feature units. */
  readonly perturbationNorms: { readonly l0: Float64Array; readonly l2: Float64Array; readonly linf: Float64Array };
  /** Model forward queries and gradient calls made, in samples. */
  readonly queries: { readonly forward: number; readonly gradient: number };
}

/** Per-run options of {@link Attack.run}; every field is optional. */
export interface AttackOptions {
  /**
   * The attack goal (default `untargeted`); `next` and `ll` pick the next or least-likely class, an array gives one
   * target per sample.
   */
  readonly target?: TargetMode;
  /** Seed of the attack's own randomness (random starts, estimator directions). */
  readonly seed?: string;
  /** How the attack sees the model: `exact`, `bpda`, `eot:K`, `spsa`, `nes` (default: exact when possible, else bpda). */
  readonly surface?: string;
  /**
   * Round the adversarial examples to the 8-bit grid (k / 255 over the bounds, see `roundToGrid`)
   * after the projection and before success is measured: images are stored as uint8, and
   * EvadeML-Zoo (the paper's evaluation) rounds every adversarial example so before evaluating
   * and detecting it. The rounding may move a value up to half a grid step past an L-inf budget
   * (e.g. eps 0.3 = 76.5 / 255). Immutable features are left as they are. Default: no rounding.
   */
  readonly roundTo?: 'uint8';
  /** Aborts the run between iterations. */
  readonly signal?: AbortSignal;
  /** Called with the number of samples done and the total as the run proceeds. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * An evasion attack. Implementations declare the norm they bound, whether they support targets,
 * and the model capabilities they need; the attack layer refuses a model that lacks them.
 */
export interface Attack {
  /** Registry id of the attack, e.g. `pgd`. */
  readonly id: string;
  /** The norm the attack bounds (or minimizes). */
  readonly norm: Norm;
  /** Whether the attack accepts a `target` other than `untargeted`. */
  readonly targeted: boolean;
  /** Model capabilities the attack needs; models without them are refused before the run. */
  readonly requires: readonly Capability[];
  /** Attacks a batch with its true labels and returns the adversarial batch with per-sample outcomes. */
  run(model: Classifier, x: Batch, labels: Int32Array, options?: AttackOptions): Promise<AttackResult>;
}
