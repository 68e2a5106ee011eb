import type { InferenceSession } from 'onnxruntime-node';
import { type ForwardResult, type ForwardRunner, type GradientModel, ResultAssembler, rowFeed } from '../onnx/forward-runner.ts';
import { type ModelFeed } from '../onnx/model-feed.ts';
import { type ModelSignature } from '../onnx/model-signature.ts';
import { sessionOptions } from '../onnx/ort-session.ts';
import { shardPlan } from './shard-plan.ts';
import { WorkerPool } from './worker-pool.ts';

/**
 * Largest shard sent to one worker: about 25 ms of MNIST-CNN work on one core, long enough to
 * make a message round trip (~0.1 ms) negligible, short enough that shards balance across workers.
 */
const MAX_SHARD = 128;
/**
 * Largest gradient shard: a gradient costs about three forward passes, and 50-100 samples per
 * call measured fastest (the activations the backward pass reads stay in cache).
 */
const MAX_GRADIENT_SHARD = 100;

/** One model input of a job: where its rows come from and the per-sample dims. */
interface JobInput {
  readonly name: string;
  readonly feed: ModelFeed;
  readonly dims: readonly number[];
}

const WORKER_SCRIPT = new URL('./onnx-worker.mjs', import.meta.url);

/** Session metadata the workers report once ready. */
export interface PoolModelInfo {
  readonly inputs: readonly InferenceSession.ValueMetadata[];
  readonly outputs: readonly InferenceSession.ValueMetadata[];
}

/**
 * Runs an ONNX model (and its gradient graph) on a pool of worker threads, one session each. A
 * feed is cut into shards (`shardPlan`); each worker slot owns shared input and output buffers that
 * are reused across shards and grown when a larger shard comes, so a steady stream of batches
 * allocates nothing per shard but its results.
 */
export class OnnxPoolRunner implements ForwardRunner {
  readonly #pool: WorkerPool;
  /** Per slot, one shared buffer per model input (x, and the seed for gradients). */
  readonly #inputs: SharedArrayBuffer[][];
  readonly #outputs: SharedArrayBuffer[];

  private constructor(pool: WorkerPool) {
    this.#pool = pool;
    this.#inputs = Array.from({ length: pool.size }, () => []);
    this.#outputs = Array.from({ length: pool.size }, () => new SharedArrayBuffer(0));
  }

  /**
   * Starts the workers. `faultInjection` replaces the worker entry by a wrapper script and adds
   * to its workerData (tests that kill workers mid-run; nothing else should use it).
   */
  static async start(
    model: Uint8Array,
    options: {
      workers: number;
      intraOpThreads: number;
      faultInjection?: { script: URL; workerData: Record<string, unknown> };
    },
  ): Promise<{ runner: OnnxPoolRunner; info: PoolModelInfo }> {
    const workerData = { ...options.faultInjection?.workerData, model, options: sessionOptions('cpu', options.intraOpThreads) };
    const { pool, info } = await WorkerPool.start(options.faultInjection?.script ?? WORKER_SCRIPT, workerData, options.workers);
    return { runner: new OnnxPoolRunner(pool), info: info as PoolModelInfo };
  }

  get workers(): number {
    return this.#pool.size;
  }

  /** Workers replaced after dying. */
  get replaced(): number {
    return this.#pool.replaced;
  }

  async run(feed: ModelFeed, sig: ModelSignature): Promise<ForwardResult> {
    const inputs = [{ name: sig.inputName, feed, dims: sig.modelDims }];
    return this.#runAll(inputs, sig.outputName, sig.classes ?? 0, MAX_SHARD, sig.fixedBatch);
  }

  /**
   * Gradients, sharded like forward batches (an attack's batch, or one EOT draw of it, keeps every
   * worker busy); each shard runs the gradient graph with its rows of x and of the seed.
   */
  async gradient(feed: ModelFeed, seed: Float32Array, sig: ModelSignature, graph: GradientModel): Promise<Float32Array> {
    const classes = seed.length / feed.count;
    const inputs = [
      { name: sig.inputName, feed, dims: sig.modelDims },
      { name: graph.seedName, feed: rowFeed(seed, classes), dims: [classes] },
    ];
    return (await this.#runAll(inputs, graph.gradientName, feed.size, MAX_GRADIENT_SHARD, sig.fixedBatch, graph.bytes)).data;
  }

  async #runAll(inputs: readonly JobInput[], outputName: string, perSample: number, maxShard: number, fixedBatch: number | undefined, gradientModel?: SharedArrayBuffer): Promise<ForwardResult> {
    const count = inputs[0]!.feed.count;
    const out = new ResultAssembler(count);
    await Promise.all(
      shardPlan(count, this.#pool.size, maxShard, fixedBatch).map((s) =>
        this.#pool.run({
          message: (slot) => {
            const buffers = this.#inputs[slot]!;
            const shared = inputs.map(({ name, feed, dims }, k) => {
              const size = feed.size;
              if (!buffers[k] || buffers[k].byteLength < s.runSize * size * 4) buffers[k] = new SharedArrayBuffer(s.runSize * size * 4);
              const x = new Float32Array(buffers[k], 0, s.runSize * size);
              feed.write(x, s.start, s.n);
              x.fill(0, s.n * size);
              return { name, buffer: buffers[k], dims: [s.runSize, ...dims] };
            });
            if (this.#outputs[slot]!.byteLength < s.runSize * perSample * 4) this.#outputs[slot] = new SharedArrayBuffer(s.runSize * perSample * 4);
            return { inputs: shared, output: this.#outputs[slot], outputName, gradientModel };
          },
          result: (slot, body) => {
            const { length, data } = body as { length: number; data?: Float32Array };
            out.add(s.start, s.n, s.runSize, data ?? new Float32Array(this.#outputs[slot]!, 0, length));
          },
        }),
      ),
    );
    return out.result();
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
