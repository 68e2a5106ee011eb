import { createHash } from 'node:crypto';
import { type Batch, ParameterError, ShapeError, sampleSize } from '@mixnsqueeze/core';

/** The ground truth f of the game: the true class of a submitted sample. */
export type Truth = (x: Batch) => Int32Array;

/** SHA-256 of one sample's float32 bytes: what "exact repeat" means. */
export function sampleDigest(x: Batch, i: number): string {
  const d = sampleSize(x.shape);
  const view = x.data.subarray(i * d, (i + 1) * d);
  return createHash('sha256').update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).digest('hex');
}

/**
 * Truth from a labelled pool: a submitted sample has the label of the pool sample it equals, or,
 * with `tolerance` > 0, of the pool sample within that L-inf distance (near-copies keep their
 * class). A sample far from every pool sample cannot be judged: a typed error.
 */
export function poolTruth(pool: Batch, labels: Int32Array, tolerance = 0): Truth {
  const d = sampleSize(pool.shape);
  const n = pool.shape[0]!;
  if (labels.length !== n) throw new ParameterError(`poolTruth: expected ${n} labels, got ${labels.length}.`);
  const exact = new Map<string, number>();
  for (let i = 0; i < n; i++) exact.set(sampleDigest(pool, i), labels[i]!);
  return (x) => {
    if (sampleSize(x.shape) !== d) throw new ShapeError(`game truth: submitted samples have ${sampleSize(x.shape)} features, the pool ${d}.`);
    const m = x.shape[0]!;
    const out = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const hit = exact.get(sampleDigest(x, i));
      if (hit !== undefined) {
        out[i] = hit;
        continue;
      }
      let found = -1;
      if (tolerance > 0) {
        for (let p = 0; p < n && found < 0; p++) {
          let far = false;
          for (let f = 0; f < d && !far; f++) far = Math.abs(x.data[i * d + f]! - pool.data[p * d + f]!) > tolerance;
          if (!far) found = p;
        }
      }
      if (found < 0) throw new ParameterError(`game truth: submitted sample ${i} is not derived from the game's pool; submit pool samples (or near-copies within ${tolerance}).`);
      out[i] = labels[found]!;
    }
    return out;
  };
}
