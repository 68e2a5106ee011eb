import { type Batch, type Classifier, type KeySchedule, featureSpace } from '@mixnsqueeze/core';

/**
 * A randomized 2-class classifier with known per-sample error probabilities: sample i is encoded
 * as x = (i + 0.5) / n; its true class is i % 2 and it is misclassified with probability p[i],
 * independently per query, with uniforms from the key schedule. A near-copy (within 0.5 / n) of
 * sample i behaves like sample i.
 */
export function bernoulliClassifier(p: readonly number[], keys: KeySchedule): Classifier {
  const n = p.length;
  return {
    space: featureSpace([1]),
    classes: 2,
    stochastic: true,
    async predict(x: Batch): Promise<Batch> {
      const m = x.shape[0]!;
      const u = new Float64Array(m);
      keys.next().uniform(u);
      const out = new Float32Array(2 * m);
      for (let j = 0; j < m; j++) {
        const i = Math.min(n - 1, Math.floor(x.data[j]! * n));
        const wrong = u[j]! < p[i]!;
        const label = wrong ? 1 - (i % 2) : i % 2;
        out[2 * j + label] = 1;
      }
      return { data: out, shape: [m, 2] };
    },
  };
}

export function pool(n: number): { x: Batch; labels: Int32Array } {
  return {
    x: { data: Float32Array.from({ length: n }, (_, i) => (i + 0.5) / n), shape: [n, 1] },
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
  };
}
