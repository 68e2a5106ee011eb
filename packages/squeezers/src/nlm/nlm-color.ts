/**
 * cv::fastNlMeansDenoisingColored(src, dst, h, hColor, templateWindowSize = patch,
 * searchWindowSize = search) for an 8-bit 3-channel image (modules/photo/src/denoising.cpp):
 * cvtColor(COLOR_LBGR2Lab), fastNlMeansDenoising of L with h and of the (a, b) pair as one 2-channel
 * image with hColor, cvtColor(COLOR_Lab2LBGR).
 *
 * OpenCV reads the array as BGR; this function does the same to whatever order it is handed
 * (channel 0 is "B"), so RGB data passed as is, like the Feature Squeezing reference code does,
 * goes through the same arithmetic as there.
 */

import { denoisePlanes } from './core.ts';
import { labToLinearBgr, linearBgrToLab } from './lab.ts';
import { checkImage, checkNlmParams } from './params.ts';

let lab = new Uint8Array(0);
let pl = new Uint8Array(0);
let pa = new Uint8Array(0);
let pb = new Uint8Array(0);

/**
 * @param src height x width x 3 interleaved bytes, channel order as given to OpenCV.
 * @param h filter strength for L; hColor for the a/b pair (Feature Squeezing uses hColor = h).
 * @param patch odd patch (template) size; search odd search window size.
 * @param out optional destination of the same size (may be `src`).
 * @throws RangeError on a bad size or parameter.
 */
export function nlmDenoiseColor(
  src: Uint8Array,
  height: number,
  width: number,
  h: number,
  hColor: number,
  patch: number,
  search: number,
  out?: Uint8Array,
): Uint8Array {
  checkNlmParams(h, hColor, patch, search);
  checkImage(src, height, width, 3, out);
  const n = height * width;
  const dst = out ?? new Uint8Array(n * 3);
  if (lab.length < n * 3) lab = new Uint8Array(n * 3);
  if (pl.length < n) {
    pl = new Uint8Array(n);
    pa = new Uint8Array(n);
    pb = new Uint8Array(n);
  }
  const L = pl.subarray(0, n);
  const A = pa.subarray(0, n);
  const B = pb.subarray(0, n);

  linearBgrToLab(src, lab, n);
  for (let k = 0, q = 0; k < n; k++, q += 3) {
    L[k] = lab[q]!;
    A[k] = lab[q + 1]!;
    B[k] = lab[q + 2]!;
  }
  denoisePlanes([L], height, width, h, patch, search, [L]);
  denoisePlanes([A, B], height, width, hColor, patch, search, [A, B]);
  for (let k = 0, q = 0; k < n; k++, q += 3) {
    lab[q] = L[k]!;
    lab[q + 1] = A[k]!;
    lab[q + 2] = B[k]!;
  }
  labToLinearBgr(lab, dst, n);
  return dst;
}
