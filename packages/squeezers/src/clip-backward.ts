import { type Batch, type FeatureSpace } from '@mixnsqueeze/core';

/**
 * Exact backward of y = clip(x + r, lo, hi): the gradient passes where the sum was not clipped,
 * i.e. where y lies strictly inside the bounds (a.e. equivalent), and is zero where it was.
 */
export function clipBackward(y: Batch, gradOut: Batch, space: FeatureSpace): Batch {
  const [lo, hi] = space.bounds;
  const yd = y.data;
  const go = gradOut.data;
  const n = yd.length;
  const grad = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = yd[i]!;
    if (v > lo && v < hi) grad[i] = go[i]!;
  }
  return { data: grad, shape: gradOut.shape };
}
