import { type Batch, type GameView } from '@mixnsqueeze/core';

/** Errors and trials per candidate after `m` rounds of Classify on all of them (one batch per round). */
export async function estimateErrors(
  view: GameView,
  candidates: Batch,
  labels: Int32Array,
  m: number,
  into?: { errors: Float64Array; trials: Float64Array },
): Promise<{ errors: Float64Array; trials: Float64Array }> {
  const n = labels.length;
  const errors = into?.errors ?? new Float64Array(n);
  const trials = into?.trials ?? new Float64Array(n);
  for (let r = 0; r < m; r++) {
    const y = await view.classify(candidates);
    for (let i = 0; i < n; i++) {
      if (y[i] !== labels[i]) errors[i]++;
      trials[i]++;
    }
  }
  return { errors, trials };
}

/** Indices sorted by descending probability; ties keep index order. */
export function rankByProbability(p: Float64Array): number[] {
  return Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
}
