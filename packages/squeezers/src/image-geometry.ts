import { type Batch, type FeatureSpace, ShapeError } from '@mixnsqueeze/core';

/** Where pixel (i, j) of channel c of a sample lives: offset i*rowStride + j*colStride + c*chStride. */
export interface ImageGeometry {
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Number of channels (1 for N x H x W batches). */
  readonly channels: number;
  /** Offset between vertically adjacent pixels, in values. */
  readonly rowStride: number;
  /** Offset between horizontally adjacent pixels, in values. */
  readonly colStride: number;
  /** Offset between channels of one pixel, in values. */
  readonly chStride: number;
}

/**
 * Reads a batch as images: N x H x W x C (layout `hwc`, the default), N x C x H x W (`chw`) or
 * N x H x W (one channel). Anything else is a ShapeError: spatial squeezers need images.
 */
export function imageGeometry(x: Batch, space: FeatureSpace, who: string): ImageGeometry {
  const s = x.shape;
  if (s.length === 3) return { height: s[1]!, width: s[2]!, channels: 1, rowStride: s[2]!, colStride: 1, chStride: 0 };
  if (s.length === 4 && space.layout === 'chw') {
    const [, c, h, w] = s as [number, number, number, number];
    return { height: h, width: w, channels: c, rowStride: w, colStride: 1, chStride: h * w };
  }
  if (s.length === 4) {
    const [, h, w, c] = s as [number, number, number, number];
    return { height: h, width: w, channels: c, rowStride: w * c, colStride: c, chStride: 1 };
  }
  throw new ShapeError(
    `${who}: expected images of shape [N, H, W, C] or [N, H, W], got [${s.join(', ')}]. This squeezer needs a spatial layout; use bit-depth or a randomizer for other data.`,
  );
}

/** Half-sample symmetric index (scipy 'reflect': d c b a | a b c d | d c b a) into [0, n). */
export function reflectIndex(t: number, n: number): number {
  const period = 2 * n;
  let m = t % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}
