import { ShapeError } from './errors.ts';

/**
 * A batch of samples in one flat float32 buffer, row-major (C order). The first axis is the sample
 * axis; the rest is the per-sample shape (images N x H x W x C, tabular N x D, signals N x T x C).
 */
export interface Batch {
  /** The values, N x sample size, row-major. */
  readonly data: Float32Array;
  /** [N, ...sampleShape]. */
  readonly shape: readonly number[];
}

/** Number of values in one sample of a batch of this shape. */
export function sampleSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Number of samples (first axis). */
export function batchSize(b: Batch): number {
  return b.shape[0]!;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a batch, checking that the shape is valid and fits the buffer. */
export function makeBatch(data: Float32Array, shape: readonly number[]): Batch {
  if (shape.length < 1) throw new ShapeError('batch shape: expected at least one axis (samples), got []. Pass [N, ...sampleShape].');
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`batch shape: expected non-negative integers, got [${shape.join(', ')}]. Fix the shape.`);
    }
  }
  const n = product(shape);
  if (n !== data.length) {
    throw new ShapeError(
      `batch: shape [${shape.join(', ')}] needs ${n} values, the buffer holds ${data.length}. Make shape and data agree.`,
    );
  }
  return { data, shape: Object.freeze([...shape]) };
}

/** A zero-filled batch of the given shape. */
export function zerosBatch(shape: readonly number[]): Batch {
  return makeBatch(new Float32Array(product(shape)), shape);
}

/** A copy of a batch that shares no memory with it. */
export function cloneBatch(b: Batch): Batch {
  return { data: b.data.slice(), shape: b.shape };
}

/** Samples [start, end) of a batch; shares memory with it. */
export function sliceBatch(b: Batch, start: number, end: number): Batch {
  const s = sampleSize(b.shape);
  const n = b.shape[0]!;
  const lo = Math.max(0, Math.min(n, start));
  const hi = Math.max(lo, Math.min(n, end));
  return { data: b.data.subarray(lo * s, hi * s), shape: [hi - lo, ...b.shape.slice(1)] };
}

/** The samples at `rows`, in that order, copied into a new batch. */
export function gatherRows(x: Batch, rows: ArrayLike<number>): Batch {
  const d = sampleSize(x.shape);
  const out = new Float32Array(rows.length * d);
  for (let j = 0; j < rows.length; j++) out.set(x.data.subarray(rows[j]! * d, (rows[j]! + 1) * d), j * d);
  return { data: out, shape: [rows.length, ...x.shape.slice(1)] };
}

/** Concatenates batches along the sample axis; their per-sample shapes must agree. */
export function concatBatches(parts: readonly Batch[]): Batch {
  if (parts.length === 0) throw new ShapeError('concatBatches: expected at least one batch, got none.');
  const tail = parts[0]!.shape.slice(1);
  let total = 0;
  for (const p of parts) {
    if (p.shape.length !== tail.length + 1 || p.shape.slice(1).some((d, i) => d !== tail[i])) {
      throw new ShapeError(
        `concatBatches: per-sample shapes differ ([${tail.join(', ')}] vs [${p.shape.slice(1).join(', ')}]).`,
      );
    }
    total += p.shape[0]!;
  }
  const s = sampleSize(parts[0]!.shape);
  const data = new Float32Array(total * s);
  let off = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.data.length;
  }
  return { data, shape: [total, ...tail] };
}

/** Index of the largest value of each row of an N x K batch (ties: first). */
export function argmaxRows(b: Batch): Int32Array {
  const n = b.shape[0]!;
  const k = sampleSize(b.shape);
  const out = new Int32Array(n);
  const d = b.data;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = d[i * k]!;
    for (let j = 1; j < k; j++) {
      const v = d[i * k + j]!;
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Row-wise softmax of an N x K batch of logits, computed stably in float64. */
export function softmaxRows(b: Batch): Batch {
  const n = b.shape[0]!;
  const k = sampleSize(b.shape);
  const src = b.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) if (src[o + j]! > m) m = src[o + j]!;
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(src[o + j]! - m);
    for (let j = 0; j < k; j++) out[o + j] = Math.exp(src[o + j]! - m) / z;
  }
  return { data: out, shape: b.shape };
}
