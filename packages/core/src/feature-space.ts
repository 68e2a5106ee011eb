import { type Batch } from './batch.ts';
import { BoundsError, NonFiniteError, ShapeError } from './errors.ts';

/** How the per-sample axes are to be read. Only transforms that need spatial structure look at it. */
export type Layout = 'hwc' | 'chw' | 'flat' | 'sequence';

/**
 * The space a classifier's inputs live in: per-sample shape, value bounds, optional mask of
 * immutable features (1 = must not be changed by attacks or randomizers), and a layout hint.
 * Nothing here assumes images.
 */
export interface FeatureSpace {
  readonly shape: readonly number[];
  readonly bounds: readonly [lo: number, hi: number];
  readonly immutable?: Uint8Array;
  readonly layout?: Layout;
}

export function featureCount(space: FeatureSpace): number {
  let n = 1;
  for (const d of space.shape) n *= d;
  return n;
}

/** Builds a feature space, validating shape, bounds and mask. */
export function featureSpace(
  shape: readonly number[],
  bounds: readonly [number, number] = [0, 1],
  options: { immutable?: Uint8Array; layout?: Layout } = {},
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
 * Throws unless the batch fits the space: shape, every value finite, every value within bounds.
 * The error names the first offending sample and feature.
 */
export function checkBatch(space: FeatureSpace, x: Batch, what = 'input'): void {
  checkShape(space, x, what);
  const [lo, hi] = space.bounds;
  const d = x.data;
  const f = d.length / Math.max(1, x.shape[0]!);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v >= lo && v <= hi) continue;
    const at = `sample ${Math.floor(i / f)}, feature ${i % f}`;
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(`${what}: expected finite values, got ${v} at ${at}. Remove NaN/Inf from the data.`);
    }
    throw new BoundsError(
      `${what}: expected values in [${lo}, ${hi}], got ${v} at ${at}. Scale the data to the feature bounds.`,
    );
  }
}
