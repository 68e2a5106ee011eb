import { type Batch, ParameterError, type TargetMode, sampleSize } from '@mixnsqueeze/core';
import { tfSoftmax } from './tf-float32.ts';

/**
 * Target labels for a target mode: `next` = (y + 1) mod classes; `ll` = the class of lowest
 * probability on the clean input (needs its logits); explicit labels are checked. Untargeted: none.
 * The probabilities are the float32 softmax the reference's `model.predict` returned (tf-float32.ts):
 * EvadeML-Zoo takes numpy's argmin of them, so where float32 flushes several tiny probabilities to
 * exactly 0 (logit gaps beyond about 87) the first of those classes is the target, not the class
 * of lowest logit.
 */
export function resolveTargets(mode: TargetMode, labels: Int32Array, classes: number, cleanLogits?: Batch): Int32Array | undefined {
  if (mode === 'untargeted') return undefined;
  const n = labels.length;
  if (mode === 'next') return labels.map((y) => (y + 1) % classes);
  if (mode === 'll') {
    if (!cleanLogits) throw new ParameterError('target ll needs the clean logits.');
    const k = sampleSize(cleanLogits.shape);
    const out = new Int32Array(n);
    const p = new Float32Array(k);
    for (let i = 0; i < n; i++) {
      tfSoftmax(cleanLogits.data, i, k, p);
      let best = 0;
      for (let j = 1; j < k; j++) if (p[j]! < p[best]!) best = j;
      out[i] = best;
    }
    return out;
  }
  if (mode.length !== n) throw new ParameterError(`targets: expected ${n} labels, one per sample, got ${mode.length}.`);
  mode.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= classes) throw new ParameterError(`targets: label ${t} at sample ${i} is not a class in [0, ${classes}).`);
    if (t === labels[i]) throw new ParameterError(`targets: sample ${i} targets its own label ${t}; choose another class.`);
  });
  return mode;
}
