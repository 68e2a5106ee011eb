import { type Batch, FEATURE_KIND, type FeatureSpace } from '@mixnsqueeze/core';

/**
 * Exact backward of y = clip(x + r, lo, hi): the gradient passes where the sum was not clipped,
 * i.e. where y lies strictly inside the bounds (a.e. equivalent), and is zero where it was. With a
 * feature schema the bounds are per feature, and a categorical feature passes its gradient where
 * it was kept (y = x) and none where it was resampled.
 */
export function clipBackward(x: Batch, y: Batch, gradOut: Batch, space: FeatureSpace): Batch {
  const yd = y.data;
  const go = gradOut.data;
  const n = yd.length;
  const grad = new Float32Array(n);
  const f = space.features;
  if (f) {
    const d = f.lo.length;
    const xd = x.data;
    for (let i = 0, j = 0; i < n; i++, j = j + 1 === d ? 0 : j + 1) {
      const v = yd[i]!;
      const pass = f.kind[j] === FEATURE_KIND.categorical ? v === xd[i] : v > f.lo[j]! && v < f.hi[j]!;
      if (pass) grad[i] = go[i]!;
    }
    return { data: grad, shape: gradOut.shape };
  }
  const [lo, hi] = space.bounds;
  if (go.length !== n) {
    for (let i = 0; i < n; i++) {
      const v = yd[i]!;
      if (v > lo && v < hi) grad[i] = go[i]!;
    }
    return { data: grad, shape: gradOut.shape };
  }
  // Which values clipped is random, so a branch per value mispredicts: copy the gradient's bits
  // under an all-ones or all-zeros mask instead (bit for bit the same as a conditional copy).
  const goBits = new Int32Array(go.buffer, go.byteOffset, n);
  const gradBits = new Int32Array(grad.buffer, 0, n);
  for (let i = 0; i < n; i++) {
    const v = yd[i]!;
    gradBits[i] = goBits[i]! & -(+(v > lo) & +(v < hi));
  }
  return { data: grad, shape: gradOut.shape };
}
