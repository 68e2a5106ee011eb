import { type Batch } from './batch.ts';
import { type Capability, type Classifier } from './classifier.ts';

export type Norm = 'l0' | 'l2' | 'linf';

/** Which label an attack aims for: away from the true one, or towards a target. */
export type TargetMode = 'untargeted' | 'next' | 'll' | Int32Array;

/** Per-sample outcome of an attack run. */
export interface AttackResult {
  readonly adversarial: Batch;
  readonly success: Uint8Array;
  readonly perturbationNorms: { readonly l0: Float64Array; readonly l2: Float64Array; readonly linf: Float64Array };
  /** Model forward queries and gradient calls made, in samples. */
  readonly queries: { readonly forward: number; readonly gradient: number };
}

export interface AttackOptions {
  readonly target?: TargetMode;
  /** Seed of the attack's own randomness (random starts, estimator directions). */
  readonly seed?: string;
  /** How the attack sees the model: `exact`, `bpda`, `eot:K`, `spsa`, `nes` (default: exact when possible, else bpda). */
  readonly surface?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * An evasion attack. Implementations declare the norm they bound, whether they support targets,
 * and the model capabilities they need; the attack layer refuses a model that lacks them.
 */
export interface Attack {
  readonly id: string;
  readonly norm: Norm;
  readonly targeted: boolean;
  readonly requires: readonly Capability[];
  run(model: Classifier, x: Batch, labels: Int32Array, options?: AttackOptions): Promise<AttackResult>;
}
