import { type Batch, type Classifier, argmaxRows, sliceBatch } from '@mixnsqueeze/core';

export interface RepeatedClassification {
  /** Per-sample error probability p_i: the fraction of the R repetitions that misclassified it. */
  readonly p: Float64Array;
  /** Accuracy of each repetition. */
  readonly accuracy: Float64Array;
  readonly mean: number;
  /** Sample standard deviation of the per-repetition accuracy. */
  readonly std: number;
}

/**
 * Classifies a set R times, each repetition with a classifier from `classifierFor(r)` (fresh keys
 * per repetition: e.g. a defense on derivedKeys(seed).fork(`rep=${r}`)), in chunks that reach the
 * model as batches.
 */
export async function repeatedClassification(
  classifierFor: (repetition: number) => Classifier,
  x: Batch,
  labels: Int32Array,
  repetitions: number,
  options: { chunk?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<RepeatedClassification> {
  const n = labels.length;
  const chunk = options.chunk ?? 1000;
  const errors = new Float64Array(n);
  const accuracy = new Float64Array(repetitions);
  for (let r = 0; r < repetitions; r++) {
    const c = classifierFor(r);
    let correct = 0;
    for (let s = 0; s < n; s += chunk) {
      const y = argmaxRows(await c.predict(sliceBatch(x, s, Math.min(n, s + chunk))));
      for (let i = 0; i < y.length; i++) {
        if (y[i] === labels[s + i]) correct++;
        else errors[s + i]++;
      }
    }
    accuracy[r] = n ? correct / n : 0;
    options.onProgress?.(r + 1, repetitions);
  }
  const mean = accuracy.reduce((a, b) => a + b, 0) / Math.max(1, repetitions);
  const std = repetitions > 1 ? Math.sqrt(accuracy.reduce((a, v) => a + (v - mean) ** 2, 0) / (repetitions - 1)) : 0;
  return { p: errors.map((e) => e / Math.max(1, repetitions)), accuracy, mean, std };
}
