/**
 * The non-local means kernel of OpenCV's FastNlMeansDenoisingInvoker
 * (modules/photo/src/fast_nlmeans_denoising_invoker.hpp) for 8-bit images of one channel, or of two
 * channels sharing one weight (the a/b pair of fastNlMeansDenoisingColored).
 *
 * OpenCV keeps, per output pixel, the patch SSD to every offset of the search window, updated
 * incrementally by column and row sums. Those are exact integer sums, so computing each SSD afresh
 * gives the same integers; here the loops are turned inside out for speed: for each offset (dy, dx)
 * of the search window, the squared-difference image against the shifted image is box-summed over
 * the patch (along rows, then down columns) and every pixel takes its weight for that offset. Cost
 * O(search^2 * H * W) whatever the patch size. The weight table, the integer sums, and the final
 * rounding ((sum + weights/2) / weights, unsigned, as divByWeightsSum) are OpenCV's, so the result
 * is bit-identical.
 */

import { padReflect101 } from './border.ts';
import { weightTable } from './weights.ts';

// Scratch reused across calls (and so across the images of a batch); grown on demand, never shrunk.
let ext0: Uint8Array = new Uint8Array(0);
let ext1: Uint8Array = new Uint8Array(0);
let acc0: Int32Array = new Int32Array(0);
let acc1: Int32Array = new Int32Array(0);
let wsum: Int32Array = new Int32Array(0);
let rowSq: Int32Array = new Int32Array(0);
let hsum: Int32Array = new Int32Array(0);
let colSum: Int32Array = new Int32Array(0);

function growU8(a: Uint8Array, n: number): Uint8Array {
  return a.length >= n ? a : new Uint8Array(n);
}
function growI32(a: Int32Array, n: number): Int32Array {
  return a.length >= n ? a : new Int32Array(n);
}

/** Geometry of one call. Offsets (dy, dx) travel as flat indices `off = dy * ew + dx` in the padded image. */
interface Frame {
  height: number;
  width: number;
  /** Patch size, odd. */
  p: number;
  /** Padded image row stride. */
  ew: number;
  /** Index in the padded image of the top-left squared difference needed (row/col s = b - t). */
  start: number;
  /** Index in the padded image of pixel (0, 0) (row/col b). */
  origin: number;
  lut: Int32Array;
  shift: number;
}

// Products go through Math.imul: operands and results fit int32, and a plain `*` keeps V8's
// minus-zero check, a data-dependent branch that mispredicts on images with many zero differences
// or zero pixels (MNIST-like backgrounds), which ran ~1.5x slower with it.

/**
 * hs[r][j] = sum over the patch width of the squared differences (all channels) between the padded
 * image and itself shifted by `off`, for the height + p - 1 rows the patches of the image cover.
 */
function rowSums(f: Frame, e0: Uint8Array, e1: Uint8Array | null, off: number, sq: Int32Array, hs: Int32Array): void {
  const { height, width, p, ew, start } = f;
  const rows = height + p - 1;
  if (p === 3) {
    // Three squares rolled in locals: the Feature Squeezing patch size, ~20% faster than the general loop.
    for (let r = 0; r < rows; r++) {
      const a = start + r * ew;
      const q = a + off;
      const hrow = r * width;
      let d = e0[a]! - e0[q]!;
      let q0 = Math.imul(d, d);
      d = e0[a + 1]! - e0[q + 1]!;
      let q1 = Math.imul(d, d);
      if (e1 === null) {
        for (let j = 0; j < width; j++) {
          d = e0[a + j + 2]! - e0[q + j + 2]!;
          const q2 = Math.imul(d, d);
          hs[hrow + j] = q0 + q1 + q2;
          q0 = q1;
          q1 = q2;
        }
      } else {
        d = e1[a]! - e1[q]!;
        q0 += Math.imul(d, d);
        d = e1[a + 1]! - e1[q + 1]!;
        q1 += Math.imul(d, d);
        for (let j = 0; j < width; j++) {
          d = e0[a + j + 2]! - e0[q + j + 2]!;
          const d1 = e1[a + j + 2]! - e1[q + j + 2]!;
          const q2 = Math.imul(d, d) + Math.imul(d1, d1);
          hs[hrow + j] = q0 + q1 + q2;
          q0 = q1;
          q1 = q2;
        }
      }
    }
    return;
  }
  const dw = width + p - 1;
  for (let r = 0; r < rows; r++) {
    const a = start + r * ew;
    const q = a + off;
    if (e1 === null) {
      for (let c = 0; c < dw; c++) {
        const d = e0[a + c]! - e0[q + c]!;
        sq[c] = Math.imul(d, d);
      }
    } else {
      for (let c = 0; c < dw; c++) {
        const d0 = e0[a + c]! - e0[q + c]!;
        const d1 = e1[a + c]! - e1[q + c]!;
        sq[c] = Math.imul(d0, d0) + Math.imul(d1, d1);
      }
    }
    const hrow = r * width;
    let run = 0;
    for (let c = 0; c < p - 1; c++) run += sq[c]!;
    for (let j = 0; j < width; j++) {
      run += sq[j + p - 1]!;
      hs[hrow + j] = run;
      run -= sq[j]!;
    }
  }
}

/**
 * For p != 3: sums hs down p rows with a running column sum (cs), in place, so that hs row i holds
 * pixel row i's patch SSDs (rows only move up, so nothing is read after it is overwritten).
 */
function columnSums(f: Frame, hs: Int32Array, cs: Int32Array): void {
  const { height, width, p } = f;
  cs.fill(0, 0, width);
  for (let r = 0; r < p - 1; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) cs[j] = cs[j]! + hs[o + j]!;
  }
  for (let i = 0; i < height; i++) {
    const o = i * width;
    const add = o + (p - 1) * width;
    for (let j = 0; j < width; j++) {
      const ssd = cs[j]! + hs[add + j]!;
      cs[j] = ssd - hs[o + j]!;
      hs[o + j] = ssd;
    }
  }
}

/**
 * Looks up each pixel's weight for this offset from its patch SSD and adds weight * (pixel at the
 * offset) to the estimates and weight to the weight sums. For p = 3 the SSD is summed here from
 * three hs rows (fused: ~10% faster than a separate pass); otherwise columnSums has left it in hs.
 * Zero weights are skipped: the branch is cheaper than the stores.
 */
function accumulate(
  f: Frame,
  e0: Uint8Array,
  e1: Uint8Array | null,
  off: number,
  hs: Int32Array,
  a0: Int32Array,
  a1: Int32Array,
  ws: Int32Array,
): void {
  const { height, width, p, ew, origin, lut, shift } = f;
  if (p === 3) {
    const w1 = width;
    const w2 = 2 * width;
    for (let i = 0; i < height; i++) {
      const o = i * width;
      const end = o + width;
      const dn = origin + i * ew + off - o;
      if (e1 === null) {
        for (let k = o; k < end; k++) {
          const w = lut[(hs[k]! + hs[k + w1]! + hs[k + w2]!) >> shift]!;
          if (w !== 0) {
            a0[k] = a0[k]! + Math.imul(w, e0[k + dn]!);
            ws[k] = ws[k]! + w;
          }
        }
      } else {
        for (let k = o; k < end; k++) {
          const w = lut[(hs[k]! + hs[k + w1]! + hs[k + w2]!) >> shift]!;
          if (w !== 0) {
            a0[k] = a0[k]! + Math.imul(w, e0[k + dn]!);
            a1[k] = a1[k]! + Math.imul(w, e1[k + dn]!);
            ws[k] = ws[k]! + w;
          }
        }
      }
    }
    return;
  }
  for (let i = 0; i < height; i++) {
    const o = i * width;
    const end = o + width;
    const dn = origin + i * ew + off - o;
    if (e1 === null) {
      for (let k = o; k < end; k++) {
        const w = lut[hs[k]! >> shift]!;
        if (w !== 0) {
          a0[k] = a0[k]! + Math.imul(w, e0[k + dn]!);
          ws[k] = ws[k]! + w;
        }
      }
    } else {
      for (let k = o; k < end; k++) {
        const w = lut[hs[k]! >> shift]!;
        if (w !== 0) {
          a0[k] = a0[k]! + Math.imul(w, e0[k + dn]!);
          a1[k] = a1[k]! + Math.imul(w, e1[k + dn]!);
          ws[k] = ws[k]! + w;
        }
      }
    }
  }
}

/** divByWeightsSum: ((unsigned)estimate + weights/2) / weights, then saturate_cast<uchar>. */
function divide(acc: Int32Array, ws: Int32Array, n: number, out: Uint8Array): void {
  for (let k = 0; k < n; k++) {
    // The centre offset always weighs fixedPointMult >= 1, so w > 0; est <= 255 * w keeps the
    // binary64 quotient's floor exact.
    const w = ws[k]!;
    const v = Math.floor((acc[k]! + (w >>> 1)) / w);
    out[k] = v > 255 ? 255 : v;
  }
}

/**
 * Denoises `planes` (1 or 2 planes of height x width bytes; with 2 the patch distance sums both and
 * they share weights) into `outs`, like fastNlMeansDenoising(src, dst, h, patch, search) on a CV_8UC1
 * or CV_8UC2 Mat. Sizes and parameters are assumed checked (params.ts). `outs` may alias `planes`.
 */
export function denoisePlanes(
  planes: readonly Uint8Array[],
  height: number,
  width: number,
  h: number,
  patch: number,
  search: number,
  outs: readonly Uint8Array[],
): void {
  const two = planes.length === 2;
  const t = patch >> 1;
  const s = search >> 1;
  const p = 2 * t + 1;
  const b = s + t;
  const ew = width + 2 * b;
  const eh = height + 2 * b;
  const npix = height * width;
  const { lut, shift } = weightTable(h, patch, search, planes.length);

  ext0 = growU8(ext0, eh * ew);
  padReflect101(planes[0]!, height, width, b, ext0);
  if (two) {
    ext1 = growU8(ext1, eh * ew);
    padReflect101(planes[1]!, height, width, b, ext1);
  }
  acc0 = growI32(acc0, npix);
  acc1 = growI32(acc1, npix);
  wsum = growI32(wsum, npix);
  rowSq = growI32(rowSq, width + p - 1);
  hsum = growI32(hsum, (height + p - 1) * width);
  colSum = growI32(colSum, width);
  acc0.fill(0, 0, npix);
  if (two) acc1.fill(0, 0, npix);
  wsum.fill(0, 0, npix);

  const frame: Frame = { height, width, p, ew, start: s * ew + s, origin: b * ew + b, lut, shift };
  const e1 = two ? ext1 : null;
  for (let dy = -s; dy <= s; dy++) {
    for (let dx = -s; dx <= s; dx++) {
      const off = dy * ew + dx;
      rowSums(frame, ext0, e1, off, rowSq, hsum);
      if (p !== 3) columnSums(frame, hsum, colSum);
      accumulate(frame, ext0, e1, off, hsum, acc0, acc1, wsum);
    }
  }
  divide(acc0, wsum, npix, outs[0]!);
  if (two) divide(acc1, wsum, npix, outs[1]!);
}
