import { type Batch } from '@mixnsqueeze/core';

/** BPDA backward (Athalye et al. 2018): the gradient at g(x) is passed to x unchanged. */
export function identityBackward(_x: Batch, _y: Batch, gradOut: Batch): Batch {
  return { data: gradOut.data.slice(), shape: gradOut.shape };
}
