import { type Batch, sampleSize } from '@mixnsqueeze/core';
import { type InputLayout } from './model-signature.ts';

/**
 * Samples of one batch, ready to be copied into a model's input buffer in the model's layout.
 * Runners pull shards through `write` when they are about to run them, so no full-size
 * converted copy of the batch is ever made.
 */
export interface ModelFeed {
  readonly count: number;
  /** Values per sample. */
  readonly size: number;
  /** Writes samples [start, start + n) to the beginning of `dst`. */
  write(dst: Float32Array, start: number, n: number): void;
}

/**
 * A feed over an NHWC (or flat) batch. For an NCHW model each sample is transposed while it is
 * copied; with one channel both layouts are the same bytes and it is a plain copy.
 */
export function modelFeed(x: Batch, layout: InputLayout): ModelFeed {
  const size = sampleSize(x.shape);
  const src = x.data;
  const [h, w, c] = x.shape.slice(1) as [number, number, number];
  const transpose = layout === 'nchw' && c > 1;
  return {
    count: x.shape[0]!,
    size,
    write(dst, start, n) {
      if (!transpose) {
        dst.set(src.subarray(start * size, (start + n) * size));
        return;
      }
      const plane = h * w;
      for (let s = 0; s < n; s++) {
        const from = (start + s) * size;
        const to = s * size;
        for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) dst[to + ch * plane + p] = src[from + p * c + ch]!;
      }
    },
  };
}

/** A feed of `count` all-zero samples (probing a model's output size). */
export function zeroFeed(count: number, size: number): ModelFeed {
  return { count, size, write: (dst, _start, n) => dst.fill(0, 0, n * size) };
}

/**
 * Rows in the model's layout back to the batch's (the input gradients of an NCHW model): CHW ->
 * HWC per sample; the rows themselves where both layouts are the same bytes.
 */
export function fromModelLayout(data: Float32Array, shape: readonly number[], layout: InputLayout): Float32Array {
  const [n, h, w, c] = shape as [number, number, number, number];
  if (layout !== 'nchw' || c === 1) return data;
  const out = new Float32Array(data.length);
  const plane = h * w;
  const size = plane * c;
  for (let s = 0; s < n; s++) {
    const base = s * size;
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[base + p * c + ch] = data[base + ch * plane + p]!;
  }
  return out;
}
