import {
  type Batch,
  type Classifier,
  ParameterError,
  type Squeezer,
  concatBatches,
  sampleSize,
  softmaxRows,
} from '@mixnsqueeze/core';
import { fromUint8, toUint8 } from './quantize.ts';

/**
 * Joint feature-squeezing detector (Xu et al., NDSS 2018):
 * score(x) = max over squeezers s of || softmax(f(x)) - softmax(f(s(x))) ||_1, each squeezer applied
 * to the raw input (not chained), range [0, 2]. x is flagged iff score > threshold (strict).
 */
export class SqueezeDetector {
  /** The classifier whose predictions are compared. */
  readonly model: Classifier;
  /** The squeezers, each applied to the raw input. */
  readonly squeezers: readonly Squeezer[];
  /** Score above which an input is flagged, in [0, 2]; undefined until passed or set by `fit()`. */
  threshold: number | undefined;

  constructor(model: Classifier, squeezers: readonly Squeezer[], threshold?: number) {
    if (squeezers.length === 0) throw new ParameterError('detector: expected at least one squeezer, got none.');
    this.model = model;
    this.squeezers = squeezers;
    this.threshold = threshold;
  }

  /** Scores of a batch; the model sees x and every squeezed copy in one call. */
  async scores(x: Batch): Promise<Float64Array> {
    const n = x.shape[0]!;
    const views = [x, ...this.squeezers.map((s) => s.apply(x, this.model.space))];
    const probs = softmaxRows(await this.model.predict(concatBatches(views))).data;
    const k = sampleSize([n, this.model.classes]);
    const out = new Float64Array(n);
    for (let s = 1; s < views.length; s++) {
      const off = s * n * k;
      for (let i = 0; i < n; i++) {
        let l1 = 0;
        for (let j = 0; j < k; j++) l1 += Math.abs(probs[i * k + j]! - probs[off + i * k + j]!);
        if (l1 > out[i]!) out[i] = l1;
      }
    }
    return out;
  }

  /**
   * Chooses the threshold on legitimate samples for a target false-positive rate, as the reference
   * does: the scores sorted ascending, element ceil(N * (1 - fpr)) (1-based).
   */
  async fit(legitimate: Batch, falsePositiveRate = 0.05): Promise<number> {
    this.threshold = thresholdForFpr(await this.scores(legitimate), falsePositiveRate);
    return this.threshold;
  }

  /** 1 where the sample is flagged adversarial (score > threshold). */
  async detect(x: Batch): Promise<Uint8Array> {
    const t = this.threshold;
    if (t === undefined) throw new ParameterError('detector: no threshold; call fit() on legitimate samples or pass one.');
    const s = await this.scores(x);
    return Uint8Array.from(s, (v) => (v > t ? 1 : 0));
  }
}

/** Element ceil(N * (1 - fpr)) (1-based) of the ascending scores. */
export function thresholdForFpr(scores: Float64Array, falsePositiveRate: number): number {
  if (!(falsePositiveRate >= 0 && falsePositiveRate < 1)) {
    throw new ParameterError(`detector: false-positive rate must be in [0, 1), got ${falsePositiveRate}.`);
  }
  if (scores.length === 0) throw new ParameterError('detector: cannot fit a threshold on zero legitimate samples.');
  const sorted = Float64Array.from(scores).sort();
  // The epsilon keeps N * 0.95 = 95.00000000000001 from moving to element 96.
  const k = Math.max(1, Math.ceil(scores.length * (1 - falsePositiveRate) - 1e-9));
  return sorted[k - 1]!;
}

/**
 * Rounds values in [0, 1] to the uint8 grid, as adversarial inputs are before scoring: the same
 * quantization as the squeezers' (clip(round_half_even(x * 255)) / 255, numpy's rint).
 */
export function roundToUint8Grid(x: Batch): Batch {
  const n = x.data.length;
  const q = new Uint8Array(n);
  const out = new Float32Array(n);
  toUint8(x.data, 0, n, 0, 1, q);
  fromUint8(q, n, 0, 1, out, 0);
  return { data: out, shape: x.shape };
}
