/**
 * cv::fastNlMeansDenoising(src, dst, h, templateWindowSize = patch, searchWindowSize = search) for a
 * single-channel 8-bit image (modules/photo/src/denoising.cpp, NORM_L2, CPU path). Bit-exact with
 * OpenCV 4.6 on the committed fixtures; see docs/nlm.md.
 */

import { denoisePlanes } from './core.ts';
import { checkImage, checkNlmParams } from './params.ts';

/**
 * @param src height x width bytes, row-major.
 * @param h filter strength (OpenCV's float h).
 * @param patch odd patch (template) size; search odd search window size.
 * @param out optional destination of the same size (may be `src`).
 * @throws RangeError on a bad size or parameter (even or < 1 windows, negative or non-finite h).
 */
export function nlmDenoiseGray(
  src: Uint8Array,
  height: number,
  width: number,
  h: number,
  patch: number,
  search: number,
  out?: Uint8Array,
): Uint8Array {
  checkNlmParams(h, h, patch, search);
  checkImage(src, height, width, 1, out);
  const dst = out ?? new Uint8Array(height * width);
  denoisePlanes([src], height, width, h, patch, search, [dst]);
  return dst;
}
