/**
 * copyMakeBorder(..., BORDER_DEFAULT) for one 8-bit plane, as FastNlMeansDenoisingInvoker pads its
 * input (modules/core/src/copy.cpp, borderInterpolate in modules/core/include/opencv2/core/base.hpp).
 */

/**
 * borderInterpolate for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba). OpenCV reflects repeatedly
 * until the index lands inside, so borders wider than the image (tiny images, large windows) still
 * resolve; a length-1 axis always maps to 0.
 */
export function reflect101(p: number, len: number): number {
  if (p >= 0 && p < len) return p;
  if (len === 1) return 0;
  do {
    p = p < 0 ? -p : 2 * len - 2 - p;
  } while (p < 0 || p >= len);
  return p;
}

/**
 * Pads `src` (height x width, row-major) by `border` on every side into `dst`, which must hold
 * (height + 2*border) * (width + 2*border) bytes.
 */
export function padReflect101(src: Uint8Array, height: number, width: number, border: number, dst: Uint8Array): void {
  const ew = width + 2 * border;
  const eh = height + 2 * border;
  for (let y = 0; y < eh; y++) {
    const srow = reflect101(y - border, height) * width;
    const drow = y * ew;
    dst.set(src.subarray(srow, srow + width), drow + border);
    for (let x = 0; x < border; x++) {
      dst[drow + x] = src[srow + reflect101(x - border, width)]!;
      dst[drow + border + width + x] = src[srow + reflect101(width + x, width)]!;
    }
  }
}
