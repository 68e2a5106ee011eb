/**
 * Rounds every value to the nearest of `levels + 1` evenly spaced points over the bounds [lo, hi],
 * from `src` into `out` (which may be `src` itself): y = lo + round_half_even(((x - lo) / w) * L) / L * w
 * with w = hi - lo and L = levels. On [0, 1] this is numpy's `np.rint(x * L) / L` on a float32
 * array (the reference's bit-depth squeezer, and with L = 255 EvadeML-Zoo's `reduce_precision_py(x,
 * 256)`): the product is taken in float32, ties go to the even neighbour (Math.round would round
 * them up). No clipping: values outside the bounds stay outside.
 */
export function roundToGrid(src: Float32Array, out: Float32Array, lo: number, hi: number, levels: number): Float32Array {
  const n = src.length;
  if (lo === 0 && hi === 1) {
    for (let i = 0; i < n; i++) {
      const p = Math.fround(src[i]! * levels);
      const f = Math.floor(p);
      const d = p - f;
      out[i] = (d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f) / levels;
    }
    return out;
  }
  const w = hi - lo;
  for (let i = 0; i < n; i++) {
    const p = Math.fround(Math.fround((src[i]! - lo) / w) * levels);
    const f = Math.floor(p);
    const d = p - f;
    out[i] = lo + ((d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f) / levels) * w;
  }
  return out;
}

/** Levels of the 8-bit grid on which images are stored (k / 255 on [0, 1]). */
export const UINT8_LEVELS = 255;
