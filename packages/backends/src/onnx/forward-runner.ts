import { type ModelFeed } from './model-feed.ts';
import { type ModelSignature } from './model-signature.ts';

/** Model outputs of a whole feed: `count` rows of `perSample` values. */
export interface ForwardResult {
  readonly data: Float32Array;
  readonly perSample: number;
}

/** Runs an ONNX model over a feed: in this thread (one session) or across a worker pool. */
export interface ForwardRunner {
  run(feed: ModelFeed, signature: ModelSignature): Promise<ForwardResult>;
  close(): Promise<void>;
}

/**
 * Collects per-shard outputs into one buffer in input order, whatever order the shards finish in.
 * The output size per sample is learnt from the first shard, so models whose output shape is
 * symbolic need no separate probe.
 */
export class ResultAssembler {
  readonly #count: number;
  #data: Float32Array | undefined;
  #perSample = 0;

  constructor(count: number) {
    this.#count = count;
  }

  /** Adds the outputs `y` of a call of `runSize` samples whose first `n` are samples start.. */
  add(start: number, n: number, runSize: number, y: Float32Array): void {
    if (!this.#data) {
      this.#perSample = y.length / runSize;
      this.#data = new Float32Array(this.#count * this.#perSample);
    }
    const k = this.#perSample;
    this.#data.set(y.subarray(0, n * k), start * k);
  }

  result(): ForwardResult {
    return { data: this.#data ?? new Float32Array(0), perSample: this.#perSample };
  }
}
