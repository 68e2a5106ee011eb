/**
 * Adam (Kingma & Ba 2015) over many independent rows of parameters, each with its own step count,
 * so that per-sample optimizations can be restarted one sample at a time. The update is
 * TensorFlow's, as Carlini & Wagner's code used it: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t),
 * w -= lr_t * m / (sqrt(v) + eps), with b1 0.9, b2 0.999, eps 1e-8 (TensorFlow's defaults).
 */
export class RowAdam {
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  readonly #t: Int32Array;
  readonly #d: number;

  constructor(
    rows: number,
    readonly width: number,
    readonly lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.#d = width;
    this.#m = new Float64Array(rows * width);
    this.#v = new Float64Array(rows * width);
    this.#t = new Int32Array(rows);
  }

  /** Forgets the moments of one row (a fresh optimizer for that sample). */
  reset(row: number): void {
    const o = row * this.#d;
    this.#m.fill(0, o, o + this.#d);
    this.#v.fill(0, o, o + this.#d);
    this.#t[row] = 0;
  }

  /** One step on row `row` of w with gradient g[gFrom .. gFrom + width). */
  step(row: number, w: Float64Array, g: Float64Array, gFrom: number): void {
    const d = this.#d;
    const o = row * d;
    const m = this.#m;
    const v = this.#v;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const t = ++this.#t[row]!;
    const lrT = (this.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const eps = this.eps;
    for (let j = 0; j < d; j++) {
      const gj = g[gFrom + j]!;
      const mj = (m[o + j] = b1 * m[o + j]! + (1 - b1) * gj);
      const vj = (v[o + j] = b2 * v[o + j]! + (1 - b2) * gj * gj);
      w[o + j] -= (lrT * mj) / (Math.sqrt(vj) + eps);
    }
  }
}
