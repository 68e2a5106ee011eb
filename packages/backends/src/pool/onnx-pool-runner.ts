import type { InferenceSession } from 'onnxruntime-node';
import { type ForwardResult, type ForwardRunner, ResultAssembler } from '../onnx/forward-runner.ts';
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

const WORKER_SCRIPT = new URL('./onnx-worker.mjs', import.meta.url);

/** Session metadata the workers report once ready. */
export interface PoolModelInfo {
  readonly inputs: readonly InferenceSession.ValueMetadata[];
  readonly outputs: readonly InferenceSession.ValueMetadata[];
}

/**
 * Runs an ONNX model on a pool of worker threads, one session each. A feed is cut into shards
 * (`shardPlan`); each worker slot owns a shared input and output buffer that are reused across
 * shards and grown when a larger shard comes, so a steady stream of batches allocates nothing
 * per shard but its results.
 */
export class OnnxPoolRunner implements ForwardRunner {
  readonly #pool: WorkerPool;
  readonly #inputs: SharedArrayBuffer[];
  readonly #outputs: SharedArrayBuffer[];

  private constructor(pool: WorkerPool) {
    this.#pool = pool;
    this.#inputs = Array.from({ length: pool.size }, () => new SharedArrayBuffer(0));
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
    const out = new ResultAssembler(feed.count);
    const perSample = sig.classes ?? 0;
    await Promise.all(
      shardPlan(feed.count, this.#pool.size, MAX_SHARD, sig.fixedBatch).map((s) =>
        this.#pool.run({
          message: (slot) => {
            const input = this.#buffer(this.#inputs, slot, s.runSize * feed.size);
            const x = new Float32Array(input, 0, s.runSize * feed.size);
            feed.write(x, s.start, s.n);
            x.fill(0, s.n * feed.size);
            const output = this.#buffer(this.#outputs, slot, s.runSize * perSample);
            return { input, output, dims: [s.runSize, ...sig.modelDims], inputName: sig.inputName, outputName: sig.outputName };
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

  #buffer(buffers: SharedArrayBuffer[], slot: number, floats: number): SharedArrayBuffer {
    if (buffers[slot]!.byteLength < floats * 4) buffers[slot] = new SharedArrayBuffer(floats * 4);
    return buffers[slot]!;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
