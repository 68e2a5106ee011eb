import { type ImageGeometry } from './image-geometry.ts';

/*
 * The 2x2 median and its backward, the squeezer of Mix'n'Squeeze, on one channel plane at a time.
 * The window of (i, j) is (i-1, j-1), (i-1, j), (i, j-1), (i, j) in row-major order, with row and
 * column -1 reflected to 0; the result is the third smallest of the four.
 *
 * Each kernel has two paths with the same results bit for bit. The general one compares float
 * values (Math.min/max, ===). The fast one applies when every value is +0, positive or +Infinity,
 * as after a clip to [0, hi]: there the IEEE bit patterns, read as int32, order exactly as the
 * values do and are equal exactly when the values are, so min, max and the tie search become
 * branch-free integer arithmetic. Which pixel wins a comparison is random under noise, so the
 * branches of the float path mispredict (V8's Math.min/max also branch on NaN and -0).
 */

/** The int32 view of a float32 array's values (same memory). */
export function bitsOf(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * 2x2 median of one plane (general path). With each column pair sorted (l, h), the third smallest
 * of four is max(max l, min h); the pair of column j - 1 is carried over from the previous pixel.
 */
export function median2(src: Float32Array, out: Float32Array, base: number, g: ImageGeometry): void {
  const w = g.width;
  const rs = g.rowStride;
  const cs = g.colStride;
  for (let i = 0; i < g.height; i++) {
    const b = base + i * rs;
    const a = i > 0 ? b - rs : b;
    let l0 = Math.min(src[a]!, src[b]!);
    let h0 = Math.max(src[a]!, src[b]!);
    for (let j = 0, o = 0; j < w; j++, o += cs) {
      const p = src[a + o]!;
      const q = src[b + o]!;
      const l1 = Math.min(p, q);
      const h1 = Math.max(p, q);
      out[b + o] = Math.max(Math.max(l0, l1), Math.min(h0, h1));
      l0 = l1;
      h0 = h1;
    }
  }
}

/**
 * 2x2 median of one plane on bit patterns (fast path). min(x, y) = y + (d & (d >> 31)) with
 * d = x - y, which cannot overflow for such patterns. Returns false, with `out` to be discarded,
 * when some value of the plane was negative, -0 or NaN: the check rides along in the same loop
 * (every pixel is the lower right of its own window) instead of a pass of its own.
 */
export function median2Bits(src: Int32Array, out: Int32Array, base: number, g: ImageGeometry): boolean {
  const w = g.width;
  const rs = g.rowStride;
  const cs = g.colStride;
  let bad = 0;
  for (let i = 0; i < g.height; i++) {
    const b = base + i * rs;
    const a = i > 0 ? b - rs : b;
    let d = (src[a]! - src[b]!) | 0;
    let m = d & (d >> 31);
    let l0 = (src[b]! + m) | 0;
    let h0 = (src[a]! - m) | 0;
    for (let j = 0, o = 0; j < w; j++, o += cs) {
      const p = src[a + o]!;
      const q = src[b + o]!;
      bad |= (0x7f800000 - q) | q;
      d = (p - q) | 0;
      m = d & (d >> 31);
      const l1 = (q + m) | 0;
      const h1 = (p - m) | 0;
      d = (l0 - l1) | 0;
      const lMax = (l0 - (d & (d >> 31))) | 0;
      d = (h0 - h1) | 0;
      const hMin = (h1 + (d & (d >> 31))) | 0;
      d = (lMax - hMin) | 0;
      out[b + o] = (lMax - (d & (d >> 31))) | 0;
      l0 = l1;
      h0 = h1;
    }
  }
  return bad >= 0;
}

/**
 * Backward of 2x2 on one plane (general path): each output's gradient goes to the first window
 * element equal to the output, or to the pixel itself if none is (only a changed input can cause that).
 */
export function median2Backward(src: Float32Array, sel: Float32Array, go: Float32Array, grad: Float32Array, base: number, g: ImageGeometry): void {
  const w = g.width;
  const rs = g.rowStride;
  const cs = g.colStride;
  for (let i = 0; i < g.height; i++) {
    const b = base + i * rs;
    const a = i > 0 ? b - rs : b;
    for (let j = 0, o = 0; j < w; j++, o += cs) {
      const left = j > 0 ? o - cs : o;
      const v = sel[b + o]!;
      let t = b + o;
      if (src[a + left] === v) t = a + left;
      else if (src[a + o] === v) t = a + o;
      else if (src[b + left] === v) t = b + left;
      grad[t] += go[b + o]!;
    }
  }
}

/**
 * Backward of 2x2 on bit patterns (fast path): the same targets as median2Backward, chosen by
 * masks from the last candidate to the first so that the first equal one wins. Returns false, with
 * the plane of `grad` to be redone, when some value of src or sel in the plane was negative, -0 or NaN.
 */
export function median2BackwardBits(src: Int32Array, sel: Int32Array, go: Float32Array, grad: Float32Array, base: number, g: ImageGeometry): boolean {
  const w = g.width;
  const rs = g.rowStride;
  const cs = g.colStride;
  let bad = 0;
  for (let i = 0; i < g.height; i++) {
    const b = base + i * rs;
    const a = i > 0 ? b - rs : b;
    for (let j = 0, o = 0; j < w; j++, o += cs) {
      const left = j > 0 ? o - cs : o;
      const v = sel[b + o]!;
      const u = src[b + o]!;
      bad |= (0x7f800000 - v) | v | (0x7f800000 - u) | u;
      let t = b + o;
      // (x ^ v) - 1 is negative exactly when x === v: neither has its sign bit set.
      let m = (((src[b + left]! ^ v) - 1) | 0) >> 31;
      t = (t & ~m) | ((b + left) & m);
      m = (((src[a + o]! ^ v) - 1) | 0) >> 31;
      t = (t & ~m) | ((a + o) & m);
      m = (((src[a + left]! ^ v) - 1) | 0) >> 31;
      t = (t & ~m) | ((a + left) & m);
      grad[t] += go[b + o]!;
    }
  }
  return bad >= 0;
}
