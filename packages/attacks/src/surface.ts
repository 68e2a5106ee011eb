import { type Batch, type Classifier } from '@mixnsqueeze/core';
import { type LogitLoss } from './loss.ts';

/**
 * How gradients are obtained: `exact`, `bpda` (surrogate backward), `eot` (mean over draws), `spsa` or `nes`
 * (estimated from logits).
 */
export type SurfaceKind = 'exact' | 'bpda' | 'eot' | 'spsa' | 'nes';

/** What an attack gets from one evaluation of its loss. */
export interface LossAndGradient {
  /** Per-sample loss (mean over draws for EOT). */
  readonly value: Float64Array;
  /** Input gradient of the loss (mean over draws for EOT, estimate for SPSA/NES). */
  readonly grad: Batch;
  /** Logits of (one draw at) x. */
  readonly logits: Batch;
}

/**
 * How an attack sees the model. Attacks are written against this interface only, so every
 * gradient attack runs unchanged on exact gradients, BPDA, EOT over the defense's randomness, or
 * gradients estimated from logits. Every model call is counted, in samples.
 */
export interface AttackSurface {
  /** Which kind of surface this is. */
  readonly kind: SurfaceKind;
  /** Canonical spec, e.g. `eot:30`. */
  readonly spec: string;
  /** The model (possibly a defense) the surface queries. */
  readonly model: Classifier;
  /**
   * Disjoint sub-batches worth evaluating concurrently (1 or absent: one call at a time). More than
   * one only where the model serves concurrent calls in parallel (a worker pool) and is
   * deterministic, so that a sample's result does not depend on which samples share its call or on
   * the order of calls; a randomized model's draws follow call order, and would not.
   */
  readonly lanes?: number;
  /** Forward and gradient queries made so far, in samples. */
  readonly counts: { forward: number; gradient: number };
  /** Logits of a batch (one forward query per sample). */
  logits(x: Batch): Promise<Batch>;
  /** Per-sample loss, its input gradient and the logits at x. */
  lossAndGradient(x: Batch, loss: LogitLoss): Promise<LossAndGradient>;
}
