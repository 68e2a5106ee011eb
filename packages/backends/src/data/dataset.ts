import { type Batch, type FeatureSpace, makeBatch } from '@mixnsqueeze/core';

/** A labelled set of samples: values in the space's bounds ([0, 1] for images, NHWC). */
export interface Dataset {
  /** The samples, N x sample shape. */
  readonly x: Batch;
  /** Class index of each sample. */
  readonly labels: Int32Array;
  /** The space the samples live in. */
  readonly space: FeatureSpace;
  /** Class names by index, when the source names them. */
  readonly classNames?: readonly string[];
  /** Which data this is, for reports (e.g. "JPEG CIFAR-10 test (10,000 images from ...)"). */
  readonly description?: string;
}

/** Which part of a dataset with a fixed train/test split. */
export type Split = 'train' | 'test';

/** uint8 pixels to float32 in [0, 1] (v / 255), shaped N x H x W x C. */
export function pixelsToBatch(pixels: Uint8Array, n: number, h: number, w: number, c: number): Batch {
  const data = new Float32Array(n * h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = pixels[i]! / 255;
  return makeBatch(data, [n, h, w, c]);
}

/** The first `limit` samples of a dataset (all when limit is undefined or larger). */
export function takeSamples(d: Dataset, limit?: number): Dataset {
  const n = d.labels.length;
  if (limit === undefined || limit >= n) return d;
  const m = Math.max(0, Math.floor(limit));
  const per = d.x.data.length / Math.max(1, n);
  return {
    ...d,
    x: { data: d.x.data.subarray(0, m * per), shape: [m, ...d.x.shape.slice(1)] },
    labels: d.labels.subarray(0, m),
  };
}
