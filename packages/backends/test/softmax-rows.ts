/** Row-wise softmax of N x classes float32 logits, in float64: the reference probabilities' precision. */
export function softmaxRows(logits: Float32Array, classes: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += out[r * classes + k] = Math.exp(row[k]! - max);
    for (let k = 0; k < classes; k++) out[r * classes + k]! /= sum;
  }
  return out;
}
