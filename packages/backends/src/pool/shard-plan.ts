/** Samples [start, start + n) of a batch, run as one model call of `runSize` samples. */
export interface Shard {
  readonly start: number;
  readonly n: number;
  /** n, or the model's fixed batch size (the rest of the call is zero padding). */
  readonly runSize: number;
}

/**
 * Cuts `count` samples into shards for `parts` parallel runners: at most `maxShard` samples each
 * (large enough that a model call amortises its overhead, small enough that activations stay in
 * cache and memory stays bounded), the number of shards a multiple of `parts` so every runner
 * gets an equal share, sizes differing by at most one. A model with a fixed batch size gets
 * shards of exactly that size, the last one padded.
 */
export function shardPlan(count: number, parts: number, maxShard: number, fixedBatch?: number): Shard[] {
  const shards: Shard[] = [];
  if (fixedBatch !== undefined) {
    for (let start = 0; start < count; start += fixedBatch) shards.push({ start, n: Math.min(fixedBatch, count - start), runSize: fixedBatch });
    return shards;
  }
  const k = Math.min(count, parts * Math.ceil(Math.ceil(count / maxShard) / parts));
  let start = 0;
  for (let i = 0; i < k; i++) {
    const n = Math.floor(count / k) + (i < count % k ? 1 : 0);
    shards.push({ start, n, runSize: n });
    start += n;
  }
  return shards;
}
