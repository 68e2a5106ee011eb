import { type Batch } from './batch.ts';
import { type FeatureSpace } from './feature-space.ts';
import { type KeyedPrg } from './keyed-prg.ts';

/**
 * How a transform's `backward` relates to its forward pass:
 * - `exact`: the true gradient wherever the transform is differentiable (almost everywhere);
 * - `bpda`: the transform is not usefully differentiable (rounding, NLM) and `backward` is the
 *   straight-through identity of Athalye et al.'s BPDA.
 */
export type GradientKind = 'exact' | 'bpda';

/**
 * What squeezers and randomizers share: a batch-to-batch map over a feature space, with a
 * backward pass. `backward(x, y, g)` maps the gradient g at the output y = apply(x) to a gradient
 * at x; y is passed so that randomized transforms need not store their draw.
 */
export interface Transform {
  /** Registry id, e.g. `median`. */
  readonly id: string;
  /** Canonical spec string that recreates this transform, e.g. `median:2x2`. */
  readonly spec: string;
  /** How `backward` relates to the forward pass. */
  readonly gradient: GradientKind;
  /** Transforms a batch; randomized transforms draw from `prg`. */
  apply(x: Batch, space: FeatureSpace, prg?: KeyedPrg): Batch;
  /** Maps the gradient at the output y = apply(x) to a gradient at x (same shape as x). */
  backward(x: Batch, y: Batch, gradOut: Batch, space: FeatureSpace): Batch;
}

/** A deterministic input transform that removes detail (bit depth, median, NLM). */
export interface Squeezer extends Transform {
  /** Discriminates squeezers from randomizers. */
  readonly kind: 'squeezer';
  /** Squeezes a batch, deterministically. */
  apply(x: Batch, space: FeatureSpace): Batch;
}

/**
 * A keyed random input transform. `apply` must draw all its randomness from `prg`, reading one
 * contiguous segment of the stream per sample in sample order, so that a draw is a pure function
 * of (key, input).
 */
export interface Randomizer extends Transform {
  /** Discriminates randomizers from squeezers. */
  readonly kind: 'randomizer';
  /** False when the transform is the identity (e.g. delta = 0): no key is drawn then. */
  readonly active: boolean;
  /** Transforms a batch with randomness drawn from `prg` only, one contiguous segment per sample. */
  apply(x: Batch, space: FeatureSpace, prg: KeyedPrg): Batch;
}

/** Whether a value is a squeezer (`kind: 'squeezer'`). */
export function isSqueezer(t: unknown): t is Squeezer {
  return typeof t === 'object' && t !== null && (t as Squeezer).kind === 'squeezer';
}

/** Whether a value is a randomizer (`kind: 'randomizer'`). */
export function isRandomizer(t: unknown): t is Randomizer {
  return typeof t === 'object' && t !== null && (t as Randomizer).kind === 'randomizer';
}
