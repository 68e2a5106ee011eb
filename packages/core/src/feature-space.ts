import { type Batch } from './batch.ts';
import { BoundsError, NonFiniteError, ShapeError } from './errors.ts';

/** How the per-sample axes are to be read. Only transforms that need spatial structure look at it. */
export type Layout = 'hwc' | 'chw' | 'flat' | 'sequence';

/** Codes of `FeatureSchema.kind` (a typed array, read in hot loops). */
export const FEATURE_KIND = { continuous: 0, integer: 1, categorical: 2 } as const;
/** Kind of a tabular feature: continuous, integer (lattice of step 1 or `step`) or categorical (unordered). */
export type FeatureKind = keyof typeof FEATURE_KIND;

/** A categorical variable encoded one-hot over the contiguous features start .. start + levels.length - 1. */
export interface OneHotGroup {
  /** Name of the categorical variable. */
  readonly name: string;
  /** Index of the group's first feature. */
  readonly start: number;
  /** The category of each one-hot feature, in feature order. */
  readonly levels: readonly string[];
}

/**
 * Per-feature structure of a tabular space (see `tabularSpace`), all in model units. A valid value
 * of feature j lies in [lo[j], hi[j]]; when step[j] > 0 it also lies on the lattice lo[j] + m * step[j]
 * (integer features, index-coded categories); the features of a one-hot group hold exactly one
 * hi and otherwise lo. Categorical features (kind 2) carry no order: randomizers never add noise
 * to them.
 */
export interface FeatureSchema {
  /** Feature names, one per feature. */
  readonly names: readonly string[];
  /** Lower bound of each feature. */
  readonly lo: Float32Array;
  /** Upper bound of each feature. */
  readonly hi: Float32Array;
  /** Kind of each feature as a code of {@link FEATURE_KIND}. */
  readonly kind: Uint8Array;
  /** Lattice step of each feature; 0 for continuous features. */
  readonly step: Float32Array;
  /** One-hot group index of each feature, -1 for features outside any group. */
  readonly group: Int32Array;
  /** The one-hot groups, indexed by `group`. */
  readonly groups: readonly OneHotGroup[];
}

/**
 * The space a classifier's inputs live in: per-sample shape, value bounds, optional mask of
 * immutable features (1 = must not be changed by attacks or randomizers), and a layout hint.
 * Nothing here assumes images.
 */
export interface FeatureSpace {
  /** Per-sample shape (without the batch axis), e.g. [28, 28, 1] or [D]. */
  readonly shape: readonly number[];
  /** Value range [lo, hi] of every feature (the envelope of per-feature bounds for tables). */
  readonly bounds: readonly [lo: number, hi: number];
  /** Per-feature mask, 1 = attacks and randomizers must leave the feature unchanged; absent means all mutable. */
  readonly immutable?: Uint8Array;
  /** How the per-sample axes are read (`featureSpace` infers `hwc` for 3-D and `flat` for 1-D shapes). */
  readonly layout?: Layout;
  /** Per-feature bounds, kinds and lattices of tabular data; `bounds` is then their envelope. */
  readonly features?: FeatureSchema;
}

/** Number of features of one sample (the product of the shape). */
export function featureCount(space: FeatureSpace): number {
  let n = 1;
  for (const d of space.shape) n *= d;
  return n;
}

/** Builds a feature space, validating shape, bounds and mask. */
export function featureSpace(
  shape: readonly number[],
  bounds: readonly [number, number] = [0, 1],
  options: { immutable?: Uint8Array; layout?: Layout; features?: FeatureSchema } = {},
): FeatureSpace {
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ShapeError(`feature space: expected a per-sample shape of positive integers, got [${shape.join(', ')}].`);
  }
  const [lo, hi] = bounds;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new BoundsError(`feature space: expected finite bounds lo < hi, got [${lo}, ${hi}].`);
  }
  const space: FeatureSpace = { shape: Object.freeze([...shape]), bounds: Object.freeze([lo, hi]) as readonly [number, number] };
  const n = featureCount(space);
  if (options.immutable !== undefined && options.immutable.length !== n) {
    throw new ShapeError(`feature space: immutable mask has ${options.immutable.length} entries, expected one per feature (${n}).`);
  }
  const layout = options.layout ?? (shape.length === 3 ? 'hwc' : shape.length === 1 ? 'flat' : undefined);
  return {
    ...space,
    ...(options.immutable ? { immutable: options.immutable } : {}),
    ...(layout ? { layout } : {}),
    ...(options.features ? { features: options.features } : {}),
  };
}

/** Images of height x width x channels in [0, 1], the layout of the reference squeezers. */
export function imageSpace(height: number, width: number, channels: number): FeatureSpace {
  return featureSpace([height, width, channels], [0, 1], { layout: 'hwc' });
}

/** Throws unless the batch's per-sample shape equals the space's. */
export function checkShape(space: FeatureSpace, x: Batch, what = 'input'): void {
  const s = space.shape;
  const ok = x.shape.length === s.length + 1 && s.every((d, i) => x.shape[i + 1] === d);
  if (!ok) {
    throw new ShapeError(
      `${what}: expected shape [N, ${s.join(', ')}], got [${x.shape.join(', ')}]. Reshape the data to the model's input.`,
    );
  }
}

/**
 * Throws unless the batch fits the space: shape, every value finite, every value within bounds
 * (per feature when the space has a schema). The error names the first offending sample and feature.
 */
export function checkBatch(space: FeatureSpace, x: Batch, what = 'input'): void {
  checkShape(space, x, what);
  const d = x.data;
  const f = d.length / Math.max(1, x.shape[0]!);
  const schema = space.features;
  if (!schema && inBounds(d, space.bounds[0], space.bounds[1])) return;
  for (let i = 0, j = 0; i < d.length; i++, j = j + 1 === f ? 0 : j + 1) {
    const v = d[i]!;
    const lo = schema ? schema.lo[j]! : space.bounds[0];
    const hi = schema ? schema.hi[j]! : space.bounds[1];
    if (v >= lo && v <= hi) continue;
    const at = `sample ${Math.floor(i / f)}, feature ${j}${schema ? ` (${schema.names[j]})` : ''}`;
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(`${what}: expected finite values, got ${v} at ${at}. Remove NaN/Inf from the data.`);
    }
    throw new BoundsError(
      `${what}: expected values in [${lo}, ${hi}], got ${v} at ${at}. Scale the data to the feature bounds.`,
    );
  }
}

/** Whether every value is within [lo, hi] (so finite): one pass with the bounds hoisted out of the loop. */
function inBounds(d: Float32Array, lo: number, hi: number): boolean {
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!(v >= lo && v <= hi)) return false;
  }
  return true;
}
