/**
 * The distance-to-weight lookup table of OpenCV's FastNlMeansDenoisingInvoker constructor
 * (modules/photo/src/fast_nlmeans_denoising_invoker.hpp) with DistSquared::calcWeight
 * (fast_nlmeans_denoising_invoker_commons.hpp), for 8-bit input and one weight per pixel (WT = int,
 * the case of a scalar h, which is how fastNlMeansDenoising and fastNlMeansDenoisingColored call it).
 */

const INT_MAX = 2147483647;
const WEIGHT_THRESHOLD = 0.001;

export interface WeightTable {
  /** Weight for each `almost` distance (patch SSD >> shift). */
  readonly lut: Int32Array;
  /** log2 of the power of two at or above patch^2: OpenCV averages the SSD by a shift, not a division. */
  readonly shift: number;
  /** INT_MAX / (search^2 * 255): the weight at distance 0, sized so the weighted sum fits an int. */
  readonly fixedPointMult: number;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

const cache = new Map<string, WeightTable>();
const CACHE_LIMIT = 64;

/**
 * h is a C++ float in OpenCV, and the exponent's denominator h*h*channels is evaluated in float
 * before the double division, so both are rounded to binary32 here.
 */
export function weightTable(h: number, patch: number, search: number, channels: number): WeightTable {
  const hf = Math.fround(h);
  const key = `${hf}/${patch}/${search}/${channels}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;

  const fixedPointMult = Math.min(Math.trunc(INT_MAX / (search * search * 255)), INT_MAX);
  const patchSq = patch * patch;
  let shift = 0;
  while (1 << shift < patchSq) shift++;
  const almostToActual = (1 << shift) / patchSq;
  const maxDist = 255 * 255 * channels;
  const almostMaxDist = Math.trunc(maxDist / almostToActual + 1);
  const den = Math.fround(Math.fround(hf * hf) * channels);
  const lut = new Int32Array(almostMaxDist);
  for (let d = 0; d < almostMaxDist; d++) {
    const dist = d * almostToActual;
    let w = Math.exp(-dist / den);
    if (Number.isNaN(w)) w = 1; // h = 0: 0/0 at distance 0
    let weight = roundHalfEven(fixedPointMult * w);
    if (weight < WEIGHT_THRESHOLD * fixedPointMult) weight = 0;
    lut[d] = weight;
  }
  const table: WeightTable = { lut, shift, fixedPointMult };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, table);
  return table;
}
