import type { InferenceSession } from 'onnxruntime-node';
import {
  type ForwardResult,
  type ForwardRunner,
  type GradientModel,
  type GradientPass,
  ResultAssembler,
  type SplitGradientModel,
  rowFeed,
} from '../onnx/forward-runner.ts';
import { type ModelFeed } from '../onnx/model-feed.ts';
import { type ModelSignature } from '../onnx/model-signature.ts';
import { sessionOptions } from '../onnx/ort-session.ts';
import { type Shard, shardPlan } from './shard-plan.ts';
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
 * allocates nothing per shard but its results. A gradient pass (`gradientPass`) leaves each
 * shard's forward tensors in the worker that computed them, and binds the shard's backward job to
 * that worker.
 */
export class OnnxPoolRunner implements ForwardRunner {
  readonly #pool: WorkerPool;
  /** Per slot, one shared buffer per model input (x, and the seed for gradients). */
  readonly #inputs: SharedArrayBuffer[][];
  readonly #outputs: SharedArrayBuffer[];
  #nextPass = 0;

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

  /**
   * The forward part of a split gradient graph, sharded as `gradient` shards (so each shard's
   * backward part later runs on the rows its forward part ran). Each shard's kept tensors stay in
   * the worker that computed it, under this pass's id; `backward` runs there (see PoolGradientPass).
   */
  async gradientPass(feed: ModelFeed, sig: ModelSignature, graph: GradientModel): Promise<GradientPass> {
    const split = graph.split;
    if (!split) throw new Error('gradient pass: this gradient graph has no forward and backward parts.');
    const id = this.#nextPass++;
    const plan = shardPlan(feed.count, this.#pool.size, MAX_GRADIENT_SHARD, sig.fixedBatch);
    const holders: (number | undefined)[] = plan.map(() => undefined);
    const logits = new ResultAssembler(feed.count);
    const x = [{ name: sig.inputName, feed, dims: sig.modelDims }];
    const forward = { id, stage: 'forward', model: split.forward, kept: split.kept };
    const settled = await Promise.allSettled(
      plan.map((s, shard) =>
        this.#pool.run({
          message: (slot) => this.#message(slot, s, x, split.logitsName, sig.classes ?? 0, { pass: { ...forward, shard } }),
          result: (slot, body) => {
            holders[shard] = slot;
            this.#collect(logits, s, slot, body);
          },
        }),
      ),
    );
    const pass = new PoolGradientPass(this, logits.result().data, { id, plan, holders, feed, sig, graph, split });
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      await pass.release();
      throw failed.reason;
    }
    return pass;
  }

  /** @internal One backward shard of a pass, on the worker that holds its forward tensors (PoolGradientPass). */
  backwardShard(pass: PassState, shard: number, seed: ModelFeed, out: ResultAssembler): Promise<boolean> {
    const s = pass.plan[shard]!;
    const inputs = [{ name: pass.split.seedName, feed: seed, dims: [seed.size] }];
    const body = { pass: { id: pass.id, shard, stage: 'backward', model: pass.split.backward } };
    return this.#pool.run({
      slot: pass.holders[shard],
      message: (slot) => this.#message(slot, s, inputs, pass.split.gradientName, pass.feed.size, body),
      result: (slot, answer) => {
        if ((answer as { lost?: boolean }).lost) return false;
        this.#collect(out, s, slot, answer);
        return true;
      },
    });
  }

  /**
   * @internal A shard whose forward tensors were lost (its worker died and was replaced between
   * the passes): the whole gradient graph on its rows, which computes the same values.
   */
  async gradientShard(pass: PassState, shard: number, seed: ModelFeed, out: ResultAssembler): Promise<void> {
    const s = pass.plan[shard]!;
    const graph = pass.graph;
    const inputs = [
      { name: pass.sig.inputName, feed: pass.feed, dims: pass.sig.modelDims },
      { name: graph.seedName, feed: seed, dims: [seed.size] },
    ];
    await this.#pool.run({
      message: (slot) => this.#message(slot, s, inputs, graph.gradientName, pass.feed.size, { gradientModel: graph.bytes }),
      result: (slot, body) => this.#collect(out, s, slot, body),
    });
  }

  /** @internal Drops what a pass keeps on one slot's worker; never rejects. */
  async releaseOn(slot: number, id: number): Promise<void> {
    await this.#pool
      .run({ slot, message: () => ({ pass: { id, stage: 'release' } }), result: () => undefined })
      .catch(() => undefined);
  }

  /** Shards of gradient passes the workers keep right now, as they count them. */
  async keptShards(): Promise<number> {
    const counts = await Promise.all(
      Array.from({ length: this.#pool.size }, (_, slot) =>
        this.#pool.run({ slot, message: () => ({ pass: { stage: 'stats' } }), result: (_s, body) => (body as { kept: number }).kept }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async #runAll(inputs: readonly JobInput[], outputName: string, perSample: number, maxShard: number, fixedBatch: number | undefined, gradientModel?: SharedArrayBuffer): Promise<ForwardResult> {
    const count = inputs[0]!.feed.count;
    const out = new ResultAssembler(count);
    await Promise.all(
      shardPlan(count, this.#pool.size, maxShard, fixedBatch).map((s) =>
        this.#pool.run({
          message: (slot) => this.#message(slot, s, inputs, outputName, perSample, { gradientModel }),
          result: (slot, body) => this.#collect(out, s, slot, body),
        }),
      ),
    );
    return out.result();
  }

  /**
   * A job's message for one slot: the shard's rows of each input written into the slot's shared
   * input buffers (grown when too small), zero-padded to the run size, and its shared output buffer.
   */
  #message(slot: number, s: Shard, inputs: readonly JobInput[], outputName: string, perSample: number, extra: Record<string, unknown>): unknown {
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
    return { inputs: shared, output: this.#outputs[slot], outputName, ...extra };
  }

  #collect(out: ResultAssembler, s: Shard, slot: number, body: unknown): void {
    const { length, data } = body as { length: number; data?: Float32Array };
    out.add(s.start, s.n, s.runSize, data ?? new Float32Array(this.#outputs[slot]!, 0, length));
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** What a pool gradient pass knows between its halves. */
interface PassState {
  readonly id: number;
  readonly plan: readonly Shard[];
  /** The slot whose worker ran (and keeps) each shard's forward part; undefined where none did. */
  readonly holders: readonly (number | undefined)[];
  readonly feed: ModelFeed;
  readonly sig: ModelSignature;
  readonly graph: GradientModel;
  readonly split: SplitGradientModel;
}

/**
 * A pass whose shards' forward tensors live in the workers. `backward` runs each shard on the
 * worker that holds it (the worker drops the tensors as it reads them); a shard whose worker was
 * replaced meanwhile is recomputed through the whole gradient graph. `release` drops what remains
 * on every worker that took part, unless `backward` consumed everything.
 */
class PoolGradientPass implements GradientPass {
  readonly logits: Float32Array;
  readonly #runner: OnnxPoolRunner;
  readonly #state: PassState;
  #consumed = false;
  #released = false;

  constructor(runner: OnnxPoolRunner, logits: Float32Array, state: PassState) {
    this.#runner = runner;
    this.logits = logits;
    this.#state = state;
  }

  async backward(seed: Float32Array): Promise<Float32Array> {
    if (this.#consumed || this.#released) throw new Error('gradient pass: backward may run once, before release.');
    this.#consumed = true;
    const { plan, feed } = this.#state;
    const seeds = rowFeed(seed, seed.length / feed.count);
    const out = new ResultAssembler(feed.count);
    await Promise.all(
      plan.map(async (_s, shard) => {
        if (!(await this.#runner.backwardShard(this.#state, shard, seeds, out))) await this.#runner.gradientShard(this.#state, shard, seeds, out);
      }),
    );
    this.#released = true;
    return out.result().data;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const slots = new Set(this.#state.holders.filter((h): h is number => h !== undefined));
    await Promise.all([...slots].map((slot) => this.#runner.releaseOn(slot, this.#state.id)));
  }
}
