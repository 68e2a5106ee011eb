import { type KeptTensor } from './gradient/split-gradient-graph.ts';
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
  /** The same graph cut in a forward and a backward part, where it could be cut. */
  readonly split?: SplitGradientModel;
  /** Bytes a pass keeps per sample between its parts, where the kept shapes are static. */
  readonly keptBytesPerSample?: number;
}

/**
 * The gradient graph's two parts (./gradient/split-gradient-graph.ts) as a runner needs them:
 * encoded in shared memory, with the names of the forward part's outputs (logits, then `kept`)
 * and of the backward part's inputs (seed, then `kept`).
 */
export interface SplitGradientModel {
  readonly forward: SharedArrayBuffer;
  readonly backward: SharedArrayBuffer;
  readonly logitsName: string;
  readonly seedName: string;
  readonly gradientName: string;
  readonly kept: readonly KeptTensor[];
}

/**
 * The forward half of a gradient whose seed is not known yet: the logits, with the tensors the
 * backward half reads kept where they were computed (a pool worker, or this thread) until
 * `backward` consumes them or `release` drops them. Always call `release` (it is cheap after
 * `backward`), also when the seed could not be computed.
 */
export interface GradientPass {
  /** `count` rows of logits, in input order. */
  readonly logits: Float32Array;
  /**
   * Input gradients for one seed row per sample: `count` rows of the model input's size, in the
   * model's layout. Once per pass.
   */
  backward(seed: Float32Array): Promise<Float32Array>;
  /** Drops whatever the pass still keeps. Never rejects. */
  release(): Promise<void>;
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
  /**
   * Runs the forward part of a gradient graph's split (`graph.split`, required) over a feed,
   * sharded as `gradient` shards it, and keeps what its backward part reads.
   */
  gradientPass(feed: ModelFeed, signature: ModelSignature, graph: GradientModel): Promise<GradientPass>;
  /** Shards of gradient passes kept right now, over all sessions (diagnostics and tests). */
  keptShards(): Promise<number>;
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
