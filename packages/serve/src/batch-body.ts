import { type Batch, type FeatureSpace, checkBatch, decodeBatchJson, decodeNpy } from '@mixnsqueeze/core';
import { HttpError } from './http-error.ts';

/**
 * The batch a request carries, decoded with the library's own readers (`.npy` from its bytes,
 * JSON from its text) and checked against the model's input space: shape, NaN, bounds. Bad input
 * is a typed error (400); more samples than `maxBatch` is 413.
 */
export function requestBatch(body: Buffer | string, space: FeatureSpace, maxBatch: number): Batch {
  const x = typeof body === 'string' ? decodeBatchJson(body, 'request body') : decodeNpy(body, 'request body (.npy)');
  const expected = `[N, ${space.shape.join(', ')}]`;
  if (x.shape.length < 2 || x.shape[0] === 0) throw new HttpError(400, `request body: expected a batch of shape ${expected} with N >= 1, got [${x.shape.join(', ')}].`);
  const n = x.shape[0]!;
  if (n > maxBatch) throw new HttpError(413, `batch of ${n} samples is over the limit of ${maxBatch}; split it into requests of at most ${maxBatch}.`);
  checkBatch(space, x, 'request body');
  return x;
}
