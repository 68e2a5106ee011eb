import { type Batch, type Classifier, argmaxRows, sliceBatch } from '@mixnsqueeze/core';

/** What {@link repeatedClassification} measures: per-sample error probabilities and accuracy over R repetitions. */
export interface RepeatedClassification {
  /** Per-sample error probability p_i: the fraction of the R repetitions that misclassified it. */
  readonly p: Float64Array;
  /** Accuracy of each repetition. */
  readonly accuracy: Float64Array;
  /** Mean accuracy over the repetitions. */
  readonly mean: number;
  /** Sample standard deviation of the per-repetition accuracy. */
  readonly std: number;
}

/**
 * Classifies a set R times, each repetition with a classifier from `classifierFor(r)` (fresh keys
 * per repetition: e.g. a defense on derivedKeys(seed).fork(`rep=${r}`)), in chunks that reach the
 * model as batches. Up to `inflight` chunks are in flight at once so that this thread prepares
 * the next chunk (randomizer and squeezers) while worker threads classify the last ones. Chunks are
 * issued in order and a defense draws its keys when a chunk is issued, so the results equal those
 * of one chunk at a time.
 */
export async function repeatedClassification(
  classifierFor: (repetition: number) => Classifier,
  x: Batch,
  labels: Int32Array,
  repetitions: number,
  options: { chunk?: number; inflight?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<RepeatedClassification> {
  const n = labels.length;
  const chunk = options.chunk ?? 1000;
  const chunks = Math.ceil(n / chunk);
  const errors = new Float64Array(n);
  const correct = new Float64Array(repetitions);
  const left = new Int32Array(repetitions).fill(chunks);
  const accuracy = new Float64Array(repetitions);
  const classifiers: Classifier[] = [];
  let issued = 0;
  let finished = 0;
  const total = repetitions * chunks;
  const lane = async () => {
    while (issued < total) {
      const t = issued++;
      const r = Math.floor(t / chunks);
      const s = (t % chunks) * chunk;
      const c = (classifiers[r] ??= classifierFor(r));
      const y = argmaxRows(await c.predict(sliceBatch(x, s, Math.min(n, s + chunk))));
      let ok = 0;
      for (let i = 0; i < y.length; i++) {
        if (y[i] === labels[s + i]) ok++;
        else errors[s + i]++;
      }
      correct[r] += ok;
      if (--left[r] === 0) {
        accuracy[r] = n ? correct[r]! / n : 0;
        delete classifiers[r];
        options.onProgress?.(++finished, repetitions);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.inflight ?? 4) }, lane));
  const mean = accuracy.reduce((a, b) => a + b, 0) / Math.max(1, repetitions);
  const std = repetitions > 1 ? Math.sqrt(accuracy.reduce((a, v) => a + (v - mean) ** 2, 0) / (repetitions - 1)) : 0;
  return { p: errors.map((e) => e / Math.max(1, repetitions)), accuracy, mean, std };
}
