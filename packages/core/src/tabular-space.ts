import { FormatError, ParameterError } from './errors.ts';
import { FEATURE_KIND, type FeatureSchema, type FeatureSpace, type OneHotGroup, featureSpace } from './feature-space.ts';

/** One column of a table, in model units (the values the classifier takes). */
export type FeatureSpec =
  | { readonly name: string; readonly kind?: 'continuous'; readonly lo: number; readonly hi: number; readonly immutable?: boolean }
  /** Values lo, lo + step, ... up to hi (step 1 by default: plain integers). */
  | { readonly name: string; readonly kind: 'integer'; readonly lo: number; readonly hi: number; readonly step?: number; readonly immutable?: boolean }
  /**
   * One-hot (default): one feature `name=level` per level, valued 0 or 1. Index-coded: one feature
   * holding the level's index 0 .. levels - 1.
   */
  | { readonly name: string; readonly kind: 'categorical'; readonly levels: readonly string[]; readonly encoding?: 'one-hot' | 'index'; readonly immutable?: boolean };

/**
 * A feature space for tabular data: per-feature bounds, integer lattices, categorical variables
 * (one-hot groups or index codes) and immutable columns. The space's `bounds` are the envelope of
 * the per-feature bounds, and attack budgets are relative to it: put the columns on comparable
 * scales (e.g. min-max to [0, 1]) for a budget to mean the same on every column.
 */
export function tabularSpace(columns: readonly FeatureSpec[]): FeatureSpace {
  const names: string[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const kind: number[] = [];
  const step: number[] = [];
  const group: number[] = [];
  const immutable: number[] = [];
  const groups: OneHotGroup[] = [];
  const push = (name: string, l: number, h: number, k: number, s: number, g: number, fixed: boolean | undefined) => {
    if (!Number.isFinite(l) || !Number.isFinite(h) || !(l < h)) {
      throw new ParameterError(`tabular space: column '${name}' needs finite bounds lo < hi, got [${l}, ${h}].`);
    }
    names.push(name), lo.push(l), hi.push(h), kind.push(k), step.push(s), group.push(g), immutable.push(fixed ? 1 : 0);
  };
  for (const c of columns) {
    if (c.kind === 'categorical') {
      if (c.levels.length < 2) throw new ParameterError(`tabular space: categorical column '${c.name}' needs at least 2 levels, got ${c.levels.length}.`);
      if (c.encoding === 'index') {
        push(c.name, 0, c.levels.length - 1, FEATURE_KIND.categorical, 1, -1, c.immutable);
        continue;
      }
      groups.push({ name: c.name, start: names.length, levels: Object.freeze([...c.levels]) });
      for (const level of c.levels) push(`${c.name}=${level}`, 0, 1, FEATURE_KIND.categorical, 0, groups.length - 1, c.immutable);
    } else if (c.kind === 'integer') {
      const s = c.step ?? 1;
      if (!(s > 0) || !Number.isInteger(Math.round(((c.hi - c.lo) / s) * 1e6) / 1e6)) {
        throw new ParameterError(`tabular space: integer column '${c.name}' needs a step > 0 that divides hi - lo, got step ${s} on [${c.lo}, ${c.hi}].`);
      }
      push(c.name, c.lo, c.hi, FEATURE_KIND.integer, s, -1, c.immutable);
    } else {
      push(c.name, c.lo, c.hi, FEATURE_KIND.continuous, 0, -1, c.immutable);
    }
  }
  if (names.length === 0) throw new ParameterError('tabular space: expected at least one column, got none.');
  const features: FeatureSchema = {
    names: Object.freeze(names),
    lo: Float32Array.from(lo),
    hi: Float32Array.from(hi),
    kind: Uint8Array.from(kind),
    step: Float32Array.from(step),
    group: Int32Array.from(group),
    groups: Object.freeze(groups),
  };
  const envelope: [number, number] = [Math.min(...features.lo), Math.max(...features.hi)];
  return featureSpace([names.length], envelope, {
    layout: 'flat',
    features,
    ...(immutable.includes(1) ? { immutable: Uint8Array.from(immutable) } : {}),
  });
}

/** A space of 1-D signals: `length` time steps of `channels` values in `bounds` (N x T x C). */
export function signalSpace(length: number, channels = 1, bounds: readonly [number, number] = [-1, 1]): FeatureSpace {
  return featureSpace([length, channels], bounds, { layout: 'sequence' });
}

/** The JSON form of a space (what model metadata stores), typed arrays as plain arrays. */
export interface FeatureSpaceJson {
  /** See {@link FeatureSpace.shape}. */
  readonly shape: readonly number[];
  /** See {@link FeatureSpace.bounds}. */
  readonly bounds: readonly [number, number];
  /** See {@link FeatureSpace.layout}. */
  readonly layout?: string;
  /** The immutable mask as 0/1 numbers. */
  readonly immutable?: readonly number[];
  /** The per-feature schema ({@link FeatureSchema}) with arrays as plain arrays. */
  readonly features?: {
    readonly names: readonly string[];
    readonly lo: readonly number[];
    readonly hi: readonly number[];
    readonly kind: readonly number[];
    readonly step: readonly number[];
    readonly group: readonly number[];
    readonly groups: readonly OneHotGroup[];
  };
}

/** The JSON form of a space, for model metadata; `spaceFromJson` reads it back. */
export function spaceToJson(space: FeatureSpace): FeatureSpaceJson {
  const f = space.features;
  return {
    shape: space.shape,
    bounds: space.bounds,
    ...(space.layout ? { layout: space.layout } : {}),
    ...(space.immutable ? { immutable: Array.from(space.immutable) } : {}),
    ...(f
      ? {
          features: {
            names: f.names,
            lo: Array.from(f.lo),
            hi: Array.from(f.hi),
            kind: Array.from(f.kind),
            step: Array.from(f.step),
            group: Array.from(f.group),
            groups: f.groups,
          },
        }
      : {}),
  };
}

/** Rebuilds a space from `spaceToJson`'s form; throws FormatError when the parts disagree. */
export function spaceFromJson(json: FeatureSpaceJson): FeatureSpace {
  const f = json.features;
  const d = json.shape.reduce((a, b) => a * b, 1);
  if (f && [f.names, f.lo, f.hi, f.kind, f.step, f.group].some((a) => a.length !== d)) {
    throw new FormatError(`feature space JSON: every per-feature array must have ${d} entries (the shape's size).`);
  }
  const layout = json.layout as FeatureSpace['layout'];
  return featureSpace(json.shape, json.bounds, {
    ...(layout ? { layout } : {}),
    ...(json.immutable ? { immutable: Uint8Array.from(json.immutable) } : {}),
    ...(f
      ? {
          features: {
            names: Object.freeze([...f.names]),
            lo: Float32Array.from(f.lo),
            hi: Float32Array.from(f.hi),
            kind: Uint8Array.from(f.kind),
            step: Float32Array.from(f.step),
            group: Int32Array.from(f.group),
            groups: Object.freeze(f.groups.map((g) => ({ name: g.name, start: g.start, levels: Object.freeze([...g.levels]) }))),
          },
        }
      : {}),
  });
}
