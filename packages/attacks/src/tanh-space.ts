/**
 * Carlini & Wagner's change of variables (2017, section V-A): an iterate is x*(w) = mid + half * tanh(w)
 * with mid, half the centre and half-width of the bounds, so every w gives a point inside the box and
 * the optimizer needs no clipping. Their code encodes with arctanh(v * 0.999999) to keep the edges
 * finite; that factor moves the encoded clean input by up to 1e-6 of the range, so here every
 * iterate is anchored at the clean input instead: x*(w) = x + half * (tanh(w) - tanh(w_x)), exactly
 * x at w = w_x. Untouched features then stay exactly clean (which L0 counts rely on).
 */
export class TanhBox {
  readonly #mid: number;
  readonly #half: number;
  readonly #lo: number;
  readonly #hi: number;

  constructor(bounds: readonly [number, number]) {
    this.#lo = bounds[0];
    this.#hi = bounds[1];
    this.#mid = (bounds[0] + bounds[1]) / 2;
    this.#half = (bounds[1] - bounds[0]) / 2;
  }

  /** w with x*(w) = v (up to the 1e-6 edge squeeze), for every value of v. */
  encode(v: Float32Array, out: Float64Array = new Float64Array(v.length)): Float64Array {
    const mid = this.#mid;
    const inv = 0.999999 / this.#half;
    for (let i = 0; i < v.length; i++) out[i] = Math.atanh((v[i]! - mid) * inv);
    return out;
  }

  /**
   * He et al.'s encoding (adaptive_adversary.py): w = artanh((v - mid) / (1.002 * half)), their
   * `arctanh((x - 0.5) / 0.501)` on [0, 1], to be decoded with the plain anchor `mid` (their
   * x* = tanh(w) / 2 + 0.5): the first iterate is v pulled towards mid by 0.2%, not v.
   */
  encodeHe(v: Float32Array): Float64Array {
    const out = new Float64Array(v.length);
    const inv = 1 / (1.002 * this.#half);
    for (let i = 0; i < v.length; i++) out[i] = Math.atanh((v[i]! - this.#mid) * inv);
    return out;
  }

  /** The plain anchor of x*(w) = mid + half * tanh(w) (CW's and He et al.'s decoding), for n values. */
  midAnchor(n: number): Float64Array {
    return new Float64Array(n).fill(this.#mid);
  }

  /** The anchor a = x - half * tanh(w_x) of each clean value, so that x*(w) = a + half * tanh(w). */
  anchor(x: Float32Array): Float64Array {
    const w = this.encode(x);
    const h = this.#half;
    for (let i = 0; i < w.length; i++) w[i] = x[i]! - h * Math.tanh(w[i]!);
    return w;
  }

  /**
   * Decodes `count` values from offset `from` of w (anchored by `anchor` at the same offsets) into
   * out[to..], clipped to the bounds (the anchor can overshoot them by 1e-6 of the range), and
   * stores the derivative d x* / d w = half * (1 - tanh^2) in jac[to..].
   */
  decode(w: Float64Array, anchor: Float64Array, from: number, count: number, out: Float32Array, jac: Float64Array, to: number): void {
    const h = this.#half;
    const lo = this.#lo;
    const hi = this.#hi;
    const wr = w.subarray(from, from + count);
    const ar = anchor.subarray(from, from + count);
    const or = out.subarray(to, to + count);
    const jr = jac.subarray(to, to + count);
    for (let j = 0; j < count; j++) {
      const t = Math.tanh(wr[j]!);
      const v = ar[j]! + h * t;
      or[j] = v < lo ? lo : v > hi ? hi : v;
      jr[j] = h * (1 - t * t);
    }
  }

  /**
   * Decodes the samples `rows` (row r of the output holds sample rows[r]) of the d-feature rows of
   * w into xs and jac. Features marked 1 in `immutable` (per feature) or in `frozen` (per sample and
   * feature) are held at their clean value x, with zero derivative.
   */
  decodeRows(
    w: Float64Array,
    anchor: Float64Array,
    rows: Int32Array,
    d: number,
    x: Float32Array,
    xs: Float32Array,
    jac: Float64Array,
    immutable?: Uint8Array,
    frozen?: Uint8Array,
  ): void {
    for (let r = 0; r < rows.length; r++) {
      const o = rows[r]! * d;
      const q = r * d;
      this.decode(w, anchor, o, d, xs, jac, q);
      if (immutable)
        for (let j = 0; j < d; j++)
          if (immutable[j] === 1) {
            xs[q + j] = x[o + j]!;
            jac[q + j] = 0;
          }
      if (frozen)
        for (let j = 0; j < d; j++)
          if (frozen[o + j] === 1) {
            xs[q + j] = x[o + j]!;
            jac[q + j] = 0;
          }
    }
  }
}
