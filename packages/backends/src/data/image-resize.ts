import { type DecodedImage } from './image-files.ts';

/** Side of the square ImageNet models read. */
export const IMAGENET_SIZE = 224;
/**
 * Shorter side an image larger than that is first resized to: 224 / 256 = 0.875, the central
 * fraction of the usual ImageNet evaluation (torchvision's Resize(256) + CenterCrop(224), TF's
 * central_crop(0.875)).
 */
export const IMAGENET_RESIZE = 256;

/**
 * Weights of one axis of an antialiased bilinear resampling, as PIL's: output sample i is centred
 * at (i + 0.5) * in / out; its weights are a triangle of half-width 1 input pixel when enlarging
 * and in / out input pixels when shrinking (so that every input pixel counts), normalised to sum 1
 * over the pixels inside the image.
 */
function axisWeights(inSize: number, outSize: number): { from: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  return Array.from({ length: outSize }, (_, i) => {
    const centre = (i + 0.5) * scale;
    const from = Math.max(0, Math.floor(centre - support));
    const to = Math.min(inSize, Math.ceil(centre + support));
    const weights = Array.from({ length: to - from }, (_, k) => Math.max(0, 1 - Math.abs((from + k + 0.5 - centre) / support)));
    const total = weights.reduce((a, b) => a + b, 0);
    return { from, weights: weights.map((v) => v / total) };
  });
}

/** Resizes an H x W x 3 image: along the width within each row, then along the height. */
function resize(rgb: Float64Array, h: number, w: number, outH: number, outW: number): Float64Array {
  const wide = new Float64Array(h * outW * 3);
  axisWeights(w, outW).forEach(({ from, weights }, j) => {
    for (let i = 0; i < h; i++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k]! * rgb[(i * w + from + k) * 3 + c]!;
        wide[(i * outW + j) * 3 + c] = s;
      }
  });
  const out = new Float64Array(outH * outW * 3);
  const row = outW * 3;
  axisWeights(h, outH).forEach(({ from, weights }, i) => {
    for (let j = 0; j < row; j++) {
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += weights[k]! * wide[(from + k) * row + j]!;
      out[i * row + j] = s;
    }
  });
  return out;
}

/**
 * The 224 x 224 RGB input of an ImageNet model from an image of any size, values k / 255 in
 * [0, 1] (the 8-bit grid, as decoded images are). The rule, from the shorter side S:
 * - S > 256: resized (antialiased bilinear, as PIL's) so that the shorter side is 256, the other
 *   side in proportion (rounded), the usual ImageNet evaluation;
 * - 224 <= S <= 256: not resampled (an image already near the model's size loses nothing to
 *   interpolation: the 227 x 227 validation images are cropped as they are);
 * - S < 224: enlarged (bilinear) so that the shorter side is 224;
 * then the central 224 x 224 crop, starting at row floor((H - 224) / 2) and column
 * floor((W - 224) / 2). Grayscale images are repeated over the three channels.
 */
export function imagenetInput(img: DecodedImage): Float32Array {
  const { width: w, height: h } = img;
  let rgb: Float64Array = new Float64Array(h * w * 3);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = img.rgba[p * 4 + (img.channels === 1 ? 0 : c)]!;
  const shorter = Math.min(h, w);
  const target = shorter > IMAGENET_RESIZE ? IMAGENET_RESIZE : shorter < IMAGENET_SIZE ? IMAGENET_SIZE : shorter;
  // The shorter side gets exactly the target; the other keeps the aspect ratio, rounded.
  const rh = h === shorter ? target : Math.round((h * target) / shorter);
  const rw = w === shorter ? target : Math.round((w * target) / shorter);
  if (target !== shorter) rgb = resize(rgb, h, w, rh, rw);
  const top = Math.floor((rh - IMAGENET_SIZE) / 2);
  const left = Math.floor((rw - IMAGENET_SIZE) / 2);
  const out = new Float32Array(IMAGENET_SIZE * IMAGENET_SIZE * 3);
  for (let i = 0; i < IMAGENET_SIZE; i++) {
    for (let j = 0; j < IMAGENET_SIZE * 3; j++) {
      const v = Math.round(rgb[((top + i) * rw + left) * 3 + j]!);
      out[i * IMAGENET_SIZE * 3 + j] = Math.min(255, Math.max(0, v)) / 255;
    }
  }
  return out;
}
