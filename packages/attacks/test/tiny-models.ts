import { type Batch, type DifferentiableClassifier, type FeatureSpace, LinearClassifier, checkShape, imageSpace, sampleSize } from '@mixnsqueeze/core';

/** Deterministic pseudo-random values in [-1, 1) (an LCG), for weights and data. */
export function lcg(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/**
 * logits = W2 tanh(W1 x + b1) + b2: a tiny non-linear exact classifier for attack tests, with a
 * hand-written vjp and call counters.
 */
export class TwoLayer implements DifferentiableClassifier {
  readonly stochastic = false;
  readonly classes: number;
  readonly #d: number;
  readonly #h: number;
  readonly #w1: Float64Array;
  readonly #b1: Float64Array;
  readonly #w2: Float64Array;
  readonly #b2: Float64Array;
  calls = 0;

  constructor(
    readonly space: FeatureSpace,
    hidden: number,
    classes: number,
    seed: number,
    /** Scale of the output weights: larger gives confident predictions, as trained models make. */
    sharpness = 4,
  ) {
    this.#d = space.shape.reduce((a, b) => a * b, 1);
    this.#h = hidden;
    this.classes = classes;
    this.#w1 = lcg(hidden * this.#d, seed).map((v) => (v * 3) / Math.sqrt(this.#d));
    this.#b1 = lcg(hidden, seed + 1).map((v) => v * 0.5);
    this.#w2 = lcg(classes * hidden, seed + 2).map((v) => (v * sharpness) / Math.sqrt(hidden));
    this.#b2 = new Float64Array(classes);
  }

  #hidden(x: Batch): Float64Array {
    checkShape(this.space, x);
    const n = x.shape[0]!;
    const d = this.#d;
    const h = this.#h;
    const a = new Float64Array(n * h);
    for (let i = 0; i < n; i++)
      for (let u = 0; u < h; u++) {
        let s = this.#b1[u]!;
        for (let j = 0; j < d; j++) s += this.#w1[u * d + j]! * x.data[i * d + j]!;
        a[i * h + u] = Math.tanh(s);
      }
    return a;
  }

  async predict(x: Batch): Promise<Batch> {
    this.calls++;
    const n = x.shape[0]!;
    const a = this.#hidden(x);
    const k = this.classes;
    const h = this.#h;
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        let s = this.#b2[c]!;
        for (let u = 0; u < h; u++) s += this.#w2[c * h + u]! * a[i * h + u]!;
        out[i * k + c] = s;
      }
    return { data: out, shape: [n, k] };
  }

  async vjp(x: Batch, g: Batch): Promise<Batch> {
    this.calls++;
    const n = x.shape[0]!;
    const a = this.#hidden(x);
    const k = this.classes;
    const h = this.#h;
    const d = sampleSize(x.shape);
    const out = new Float32Array(n * d);
    const ga = new Float64Array(h);
    for (let i = 0; i < n; i++) {
      for (let u = 0; u < h; u++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += this.#w2[c * h + u]! * g.data[i * k + c]!;
        ga[u] = s * (1 - a[i * h + u]! ** 2);
      }
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let u = 0; u < h; u++) s += this.#w1[u * d + j]! * ga[u]!;
        out[i * d + j] = s;
      }
    }
    return { data: out, shape: x.shape };
  }
}

/** 6 x 6 grey images that look like MNIST's: mostly near 0 or 1, a few mid greys. */
export function binaryishImages(n: number, seed: number): Batch {
  const r = lcg(n * 36 * 2, seed);
  const data = new Float32Array(n * 36);
  for (let i = 0; i < data.length; i++) {
    const on = r[2 * i]! > 0.1;
    const jitter = Math.abs(r[2 * i + 1]!) * 0.15;
    data[i] = on ? 1 - jitter : jitter;
  }
  return { data, shape: [n, 6, 6, 1] };
}

export const imageModel = (seed = 3) => new TwoLayer(imageSpace(6, 6, 1), 12, 4, seed);

/**
 * 6 x 6 grey images of 4 classes: class c lights the c-th 3 x 3 quadrant; every pixel carries a
 * jitter of up to 0.15 towards the middle, and a few pixels are flipped.
 */
export function quadrantImages(n: number, seed: number): { x: Batch; labels: Int32Array } {
  const r = lcg(n * 37, seed);
  const data = new Float32Array(n * 36);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = (labels[i] = Math.floor((r[i * 37]! + 1) * 2) % 4);
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++) {
        const u = r[i * 37 + 1 + y * 6 + x]!;
        let on = (y >= 3 ? 2 : 0) + (x >= 3 ? 1 : 0) === c;
        if (Math.abs(u) > 0.93) on = !on;
        const jitter = (Math.abs(u) * 0.15) % 0.15;
        data[i * 36 + y * 6 + x] = on ? 1 - jitter : jitter;
      }
  }
  return { x: { data, shape: [n, 6, 6, 1] }, labels };
}

/**
 * Softmax regression trained by full-batch gradient descent (as a trained model is: confident, and
 * here also trained on the extra views given, e.g. squeezed copies, so that squeezing barely moves
 * its outputs on legitimate inputs).
 */
export function trainLinear(space: FeatureSpace, views: readonly Batch[], labels: Int32Array, classes: number, steps = 300, lr = 0.5): LinearClassifier {
  const d = space.shape.reduce((a, b) => a * b, 1);
  const w = new Float64Array(classes * d);
  const b = new Float64Array(classes);
  const n = labels.length;
  const p = new Float64Array(classes);
  for (let t = 0; t < steps; t++) {
    const gw = new Float64Array(w.length);
    const gb = new Float64Array(classes);
    for (const v of views)
      for (let i = 0; i < n; i++) {
        let m = -Infinity;
        for (let c = 0; c < classes; c++) {
          let s = b[c]!;
          for (let j = 0; j < d; j++) s += w[c * d + j]! * v.data[i * d + j]!;
          p[c] = s;
          if (s > m) m = s;
        }
        let z = 0;
        for (let c = 0; c < classes; c++) z += p[c] = Math.exp(p[c]! - m);
        for (let c = 0; c < classes; c++) {
          const g = p[c]! / z - (c === labels[i] ? 1 : 0);
          gb[c] += g;
          for (let j = 0; j < d; j++) gw[c * d + j] += g * v.data[i * d + j]!;
        }
      }
    const f = lr / (n * views.length);
    for (let j = 0; j < w.length; j++) w[j] -= f * gw[j]!;
    for (let c = 0; c < classes; c++) b[c] -= f * gb[c]!;
  }
  return new LinearClassifier(space, w, b);
}

/** The tiny model as a worker-pool model reports itself (an ONNX model's info.workers), recording the batch of each gradient call. */
export class PooledTwoLayer extends TwoLayer {
  readonly info = { workers: 2 };
  readonly gradientBatches: number[] = [];

  override async vjp(x: Batch, g: Batch): Promise<Batch> {
    this.gradientBatches.push(x.shape[0]!);
    return super.vjp(x, g);
  }
}
