import { type ModelFeed } from './model-feed.ts';
import { type ModelSignature } from './model-signature.ts';

/** Model outputs of a whole feed: `count` rows of `perSample` values. */
export interface ForwardResult {
  readonly data: Float32Array;
  readonly perSample: number;
}

/**
 * A model's gradient graph (./gradient) as a runner needs it: the encoded model, in shared memory
 * so that pool workers receive it without a copy, and the names of its seed input and gradient
 * output (its model input is the model's own).
 */
export interface GradientModel {
  readonly bytes: SharedArrayBuffer;
  readonly seedName: string;
  readonly gradientName: string;
}

/**
 * Runs an ONNX model over a feed: in this thread (one session) or across a worker pool; and, when
 * given a gradient graph, its input gradients.
 */
export interface ForwardRunner {
  run(feed: ModelFeed, signature: ModelSignature): Promise<ForwardResult>;
  /**
   * Input gradients for a feed and one seed row (`classes` values) per sample: `count` rows of
   * the model input's size, in the model's layout.
   */
  gradient(feed: ModelFeed, seed: Float32Array, signature: ModelSignature, graph: GradientModel): Promise<Float32Array>;
  close(): Promise<void>;
}

/** A feed over rows of a flat buffer (the seeds of a gradient call). */
export function rowFeed(data: Float32Array, size: number): ModelFeed {
  return {
    count: data.length / size,
    size,
    write: (dst, start, n) => dst.set(data.subarray(start * size, (start + n) * size)),
  };
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
