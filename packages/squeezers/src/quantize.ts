/**
 * float value in [lo, hi] -> uint8 = clip(round_half_even(x' * 255)) with x' the value mapped to
 * [0, 1] and the product taken in float32 (numpy's rint on a float32 array).
 */
export function toUint8(src: Float32Array, start: number, count: number, lo: number, hi: number, out: Uint8Array): void {
  const w = hi - lo;
  const unit = lo === 0 && hi === 1;
  for (let i = 0; i < count; i++) {
    const v = src[start + i]!;
    const p = Math.fround((unit ? v : Math.fround((v - lo) / w)) * 255);
    const f = Math.floor(p);
    const d = p - f;
    const r = d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f;
    out[i] = r < 0 ? 0 : r > 255 ? 255 : r;
  }
}

/** uint8 -> float value in [lo, hi] (q / 255, mapped back to the bounds). */
export function fromUint8(src: Uint8Array, count: number, lo: number, hi: number, out: Float32Array, start: number): void {
  const w = hi - lo;
  const unit = lo === 0 && hi === 1;
  for (let i = 0; i < count; i++) out[start + i] = unit ? src[i]! / 255 : lo + (src[i]! / 255) * w;
}
