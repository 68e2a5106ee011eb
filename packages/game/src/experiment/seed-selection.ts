import { type Batch, type Classifier, argmaxRows, sliceBatch } from '@mixnsqueeze/core';

const CHUNK = 500;

/** Indices of the first n samples the (undefended) model classifies correctly (reference.md section 4). */
export async function firstCorrect(model: Classifier, x: Batch, labels: Int32Array, n: number): Promise<Int32Array> {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < n; i += CHUNK) {
    const pred = argmaxRows(await model.predict(sliceBatch(x, i, i + CHUNK)));
    for (let j = 0; j < pred.length && out.length < n; j++) if (pred[j] === labels[i + j]) out.push(i + j);
  }
  return Int32Array.from(out);
}
