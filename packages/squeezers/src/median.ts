import { type Batch, type FeatureSpace, type Squeezer } from '@mixnsqueeze/core';
import { type ImageGeometry, imageGeometry, reflectIndex } from './image-geometry.ts';
import { freezeClass } from './freeze.ts';
import { bitsOf, median2, median2Backward, median2BackwardBits, median2Bits } from './median2.ts';

/**
 * Median smoothing k x k (Xu et al., Feature Squeezing, NDSS 2018; scipy.ndimage.median_filter with
 * mode 'reflect', as in the reference code). Each channel is filtered on its own. The window of
 * pixel (i, j) covers rows i - floor(k/2) .. i + k - 1 - floor(k/2) and the same columns, so 2x2
 * takes rows i-1..i (the pixel is the lower right of its window). Borders repeat the edge value
 * (half-sample symmetric padding). The result is the element of 0-based rank floor(k*k/2) of the
 * sorted window: for 2x2 the third smallest of four, never an average.
 * Backward: exact; the gradient of each output goes to the window element it selected (on ties,
 * the first such element in row-major window order).
 */
export class Median implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'median';
  readonly gradient = 'exact';
  /** Window side k. */
  readonly size: number;
  readonly spec: string;
  #plane = new Float64Array(0);
  #lo = new Float64Array(0);
  #mid = new Float64Array(0);
  #hi = new Float64Array(0);
  #window = new Float64Array(0);

  constructor(size: number) {
    this.size = size;
    this.spec = `median:${size}x${size}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    const g = imageGeometry(x, space, this.spec);
    const out = new Float32Array(x.data.length);
    const per = x.data.length / Math.max(1, x.shape[0]!);
    // 2x2 reads the source directly (its only padding, row/column -1, repeats row/column 0), on
    // bit patterns unless a value of the plane is negative, -0 or NaN (median2.ts).
    const inBits = bitsOf(x.data);
    const outBits = bitsOf(out);
    for (let n = 0; n < x.shape[0]!; n++) {
      for (let c = 0; c < g.channels; c++) {
        const base = n * per + c * g.chStride;
        if (this.size === 2) {
          if (!median2Bits(inBits, outBits, base, g)) median2(x.data, out, base, g);
          continue;
        }
        this.#pad(x.data, base, g);
        if (this.size === 3) this.#median3(out, base, g);
        else this.#medianK(out, base, g);
      }
    }
    return { data: out, shape: x.shape };
  }

  /** Copies one channel plane into #plane with the k-1 rows/columns of symmetric padding. */
  #pad(src: Float32Array, base: number, g: ImageGeometry): void {
    const k = this.size;
    const a = k >> 1;
    const pw = g.width + k - 1;
    const ph = g.height + k - 1;
    if (this.#plane.length < pw * ph) this.#plane = new Float64Array(pw * ph);
    const plane = this.#plane;
    const rs = g.rowStride;
    const cs = g.colStride;
    for (let pi = 0; pi < ph; pi++) {
      const si = base + reflectIndex(pi - a, g.height) * rs;
      const row = pi * pw;
      for (let pj = 0; pj < a; pj++) plane[row + pj] = src[si + reflectIndex(pj - a, g.width) * cs]!;
      for (let j = 0; j < g.width; j++) plane[row + a + j] = src[si + j * cs]!;
      for (let pj = a + g.width; pj < pw; pj++) plane[row + pj] = src[si + reflectIndex(pj - a, g.width) * cs]!;
    }
  }

  #ensureColumns(pw: number): void {
    if (this.#lo.length < pw) {
      this.#lo = new Float64Array(pw);
      this.#mid = new Float64Array(pw);
      this.#hi = new Float64Array(pw);
    }
  }

  /**
   * 3x3: sort each padded column triple once per output row, then
   * median9 = med3(max of the lows, med3 of the mids, min of the highs).
   */
  #median3(out: Float32Array, base: number, g: ImageGeometry): void {
    const pw = g.width + 2;
    this.#ensureColumns(pw);
    const p = this.#plane;
    const lo = this.#lo;
    const mid = this.#mid;
    const hi = this.#hi;
    const w = g.width;
    const rs = g.rowStride;
    const cs = g.colStride;
    for (let i = 0; i < g.height; i++) {
      const r0 = i * pw;
      for (let j = 0; j < pw; j++) {
        const a = p[r0 + j]!;
        const b = p[r0 + pw + j]!;
        const c = p[r0 + 2 * pw + j]!;
        const ab0 = Math.min(a, b);
        const ab1 = Math.max(a, b);
        lo[j] = Math.min(ab0, c);
        const t = Math.max(ab0, c);
        mid[j] = Math.min(ab1, t);
        hi[j] = Math.max(ab1, t);
      }
      const o = base + i * rs;
      for (let j = 0; j < w; j++) {
        const maxLo = Math.max(lo[j]!, Math.max(lo[j + 1]!, lo[j + 2]!));
        const minHi = Math.min(hi[j]!, Math.min(hi[j + 1]!, hi[j + 2]!));
        const m0 = mid[j]!;
        const m1 = mid[j + 1]!;
        const m2 = mid[j + 2]!;
        const medMid = Math.max(Math.min(m0, m1), Math.min(Math.max(m0, m1), m2));
        out[o + j * cs] = Math.max(Math.min(maxLo, medMid), Math.min(Math.max(maxLo, medMid), minHi));
      }
    }
  }

  /** Any k: gather the window and select the rank floor(k*k/2) element. */
  #medianK(out: Float32Array, base: number, g: ImageGeometry): void {
    const k = this.size;
    const n = k * k;
    const rank = n >> 1;
    const pw = g.width + k - 1;
    if (this.#window.length < n) this.#window = new Float64Array(n);
    const win = this.#window;
    const p = this.#plane;
    for (let i = 0; i < g.height; i++) {
      for (let j = 0; j < g.width; j++) {
        let t = 0;
        for (let di = 0; di < k; di++) {
          const r = (i + di) * pw + j;
          for (let dj = 0; dj < k; dj++) win[t++] = p[r + dj]!;
        }
        out[base + i * g.rowStride + j * g.colStride] = select(win, n, rank);
      }
    }
  }

  backward(x: Batch, y: Batch, gradOut: Batch, space: FeatureSpace): Batch {
    const g = imageGeometry(x, space, this.spec);
    const src = x.data;
    const grad = new Float32Array(src.length);
    const per = src.length / Math.max(1, x.shape[0]!);
    // Window offsets relative to the channel's base, reflected once here rather than per pixel.
    const rows = windowOffsets(this.size, g.height, g.rowStride);
    const cols = windowOffsets(this.size, g.width, g.colStride);
    const srcBits = bitsOf(src);
    const selBits = bitsOf(y.data);
    // The bit-pattern path reads sel at every pixel of src: only for outputs of the input's size.
    const bits = this.size === 2 && y.data.length === src.length;
    for (let n = 0; n < x.shape[0]!; n++) {
      for (let c = 0; c < g.channels; c++) {
        const base = n * per + c * g.chStride;
        if (bits && median2BackwardBits(srcBits, selBits, gradOut.data, grad, base, g)) continue;
        if (bits) {
          // Redo the plane on floats; its targets are its own pixels, so clearing them discards it.
          for (let i = 0; i < g.height; i++) for (let j = 0; j < g.width; j++) grad[base + i * g.rowStride + j * g.colStride] = 0;
        }
        if (this.size === 2) median2Backward(src, y.data, gradOut.data, grad, base, g);
        else medianKBackward(src, y.data, gradOut.data, grad, base, g, this.size, rows, cols);
      }
    }
    return { data: grad, shape: x.shape };
  }
}
freezeClass(Median);

/** Offsets (index * stride) of the reflected positions -floor(k/2) .. n - 1 + k - 1 - floor(k/2) along one axis. */
function windowOffsets(k: number, n: number, stride: number): Int32Array {
  const a = k >> 1;
  const offsets = new Int32Array(n + k - 1);
  for (let t = 0; t < offsets.length; t++) offsets[t] = reflectIndex(t - a, n) * stride;
  return offsets;
}

/** Backward of any k on one channel plane: the first window element (row-major) equal to the output gets its gradient. */
function medianKBackward(
  src: Float32Array,
  sel: Float32Array,
  go: Float32Array,
  grad: Float32Array,
  base: number,
  g: ImageGeometry,
  k: number,
  rows: Int32Array,
  cols: Int32Array,
): void {
  for (let i = 0; i < g.height; i++) {
    for (let j = 0; j < g.width; j++) {
      const o = base + i * g.rowStride + j * g.colStride;
      const v = sel[o]!;
      let target = o;
      search: for (let di = 0; di < k; di++) {
        const si = base + rows[i + di]!;
        for (let dj = 0; dj < k; dj++) {
          const s = si + cols[j + dj]!;
          if (src[s] === v) {
            target = s;
            break search;
          }
        }
      }
      grad[target] += go[o]!;
    }
  }
}

/** Hoare's quickselect on a[0..n): the value of rank `rank` (partially reorders a). */
function select(a: Float64Array, n: number, rank: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (rank <= j) hi = j;
    else if (rank >= i) lo = i;
    else return a[rank]!;
  }
  return a[rank]!;
}
