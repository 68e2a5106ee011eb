/**
 * The sample indices 0..n-1 cut into `lanes` contiguous runs of nearly equal length (none empty):
 * how an attack whose samples are independent splits them over the surface's lanes (one per pool
 * worker), so that one lane's bookkeeping overlaps another lane's model call.
 */
export function laneRows(n: number, lanes: number): Int32Array[] {
  const k = Math.max(1, Math.min(lanes, n));
  return Array.from({ length: k }, (_, l) => {
    const from = Math.floor((l * n) / k);
    return Int32Array.from({ length: Math.floor(((l + 1) * n) / k) - from }, (_, r) => from + r);
  });
}
