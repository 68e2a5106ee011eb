/**
 * Carlini & Wagner's success test on logits (their `compare`): targeted, the target still wins with
 * kappa taken off its logit; untargeted, the true label loses even with kappa added to its logit.
 * Ties go to the first class, as numpy's argmax does. Row `row` of the N x k logits z.
 */
export function cwSucceeds(z: Float32Array, row: number, k: number, label: number, target: number | undefined, kappa: number): boolean {
  const o = row * k;
  const c = target ?? label;
  const shift = target === undefined ? kappa : -kappa;
  let best = 0;
  let bv = z[o]! + (c === 0 ? shift : 0);
  for (let j = 1; j < k; j++) {
    const v = z[o + j]! + (j === c ? shift : 0);
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return target === undefined ? best !== label : best === target;
}

/** values[rows[r]] for every r: the labels or targets of the samples still being optimized. */
export function pickRows(values: Int32Array, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) out[r] = values[rows[r]!]!;
  return out;
}
