/**
 * Argument checks shared by the gray and color entry points. They throw plain RangeErrors with a
 * one-line message; the squeezer wrapper translates them into the project's parameter errors.
 */

/**
 * Largest odd patch whose per-offset SSD, 2 channels of 255^2 per pixel, still fits a signed 32-bit
 * int as in OpenCV (127^2 * 2 * 255^2 < 2^31 <= 129^2 * 2 * 255^2).
 */
export const MAX_PATCH = 127;

/**
 * Largest odd search window for which OpenCV's fixed-point multiplier INT_MAX / (search^2 * 255)
 * is still >= 1; beyond it every weight, including the centre's, is 0 and OpenCV divides by zero.
 */
export const MAX_SEARCH = 2901;

function checkWindow(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v % 2 === 0 || v > max) {
    throw new RangeError(`NLM ${name} window must be an odd integer in [1, ${max}], got ${v}`);
  }
}

export function checkNlmParams(h: number, hColor: number, patch: number, search: number): void {
  if (!Number.isFinite(h) || h < 0) throw new RangeError(`NLM filter strength h must be finite and >= 0, got ${h}`);
  if (!Number.isFinite(hColor) || hColor < 0) {
    throw new RangeError(`NLM color filter strength hColor must be finite and >= 0, got ${hColor}`);
  }
  checkWindow('patch', patch, MAX_PATCH);
  checkWindow('search', search, MAX_SEARCH);
}

export function checkImage(src: Uint8Array, height: number, width: number, channels: number, out?: Uint8Array): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`NLM image size must be positive integers, got ${height}x${width}`);
  }
  const n = height * width * channels;
  if (src.length !== n) throw new RangeError(`NLM input has ${src.length} values, expected ${height}x${width}x${channels} = ${n}`);
  if (out !== undefined && out.length !== n) {
    throw new RangeError(`NLM output has ${out.length} values, expected ${height}x${width}x${channels} = ${n}`);
  }
}
