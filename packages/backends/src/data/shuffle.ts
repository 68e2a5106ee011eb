import { type KeyedPrg } from '@mixnsqueeze/core';

/** A permutation of [0, n): Fisher-Yates driven by the generator. */
export function shuffledIndices(n: number, prg: KeyedPrg): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const u = new Float64Array(n);
  prg.uniform(u);
  for (let j = n - 1; j > 0; j--) {
    const k = Math.floor(u[j]! * (j + 1));
    const t = order[j]!;
    order[j] = order[k]!;
    order[k] = t;
  }
  return order;
}
