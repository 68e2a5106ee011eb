import type { InferenceSession } from 'onnxruntime-node';
import { KeptBuffers, type KeptBufferSet } from '../pool/kept-buffers.mjs';
import { type Shard, shardPlan } from '../pool/shard-plan.ts';
import { type ForwardResult, type ForwardRunner, type GradientModel, type GradientPass, ResultAssembler, rowFeed } from './forward-runner.ts';
import { type ModelFeed } from './model-feed.ts';
import { type ModelSignature } from './model-signature.ts';
import { type OrtModule } from './ort-session.ts';

/**
 * Samples per model call: large batches are cut so that intermediate activations stay bounded
 * (the MNIST CNN's first activation is 86 KB per image) at no cost in throughput.
 */
const CHUNK = 256;
/** Samples per gradient call: 50-100 measured fastest (see the pool's MAX_GRADIENT_SHARD). */
const GRADIENT_CHUNK = 100;

/** A model input of one call: name, where its rows come from, per-sample dims. */
type Input = readonly [string, ModelFeed, readonly number[]];
type Tensor = InstanceType<OrtModule['Tensor']>;

/**
 * One ORT session in this thread (and its gradient graph's, or that graph's two parts, when
 * gradients are asked for). onnxruntime-node runs a session synchronously on the calling thread,
 * so calls are serialised here; that also makes the reused input buffers safe (a gradient pass
 * keeps its own output buffers between its parts, never these).
 */
export class InProcessRunner implements ForwardRunner {
  readonly #session: InferenceSession;
  readonly #Tensor: OrtModule['Tensor'];
  /** Creates the gradient graph's sessions, on first use: logits-only users never pay for them. */
  readonly #createGradient: (model: Uint8Array) => Promise<InferenceSession>;
  #gradient: Promise<InferenceSession> | undefined;
  /** The split gradient graph's forward and backward parts, created on the first gradient pass. */
  #parts: Promise<[InferenceSession, InferenceSession]> | undefined;
  /** Chunks of passes whose kept tensors are still held (diagnostics). */
  #kept = 0;
  #keptBuffers: KeptBuffers | undefined;
  readonly #buffers: Float32Array[] = [];
  #tail: Promise<unknown> = Promise.resolve();

  constructor(session: InferenceSession, ort: OrtModule, createGradient: (model: Uint8Array) => Promise<InferenceSession>) {
    this.#session = session;
    this.#Tensor = ort.Tensor;
    this.#createGradient = createGradient;
  }

  run(feed: ModelFeed, sig: ModelSignature): Promise<ForwardResult> {
    return this.#serial(() => this.#runAll(this.#session, [[sig.inputName, feed, sig.modelDims]], sig.outputName, CHUNK, sig.fixedBatch));
  }

  gradient(feed: ModelFeed, seed: Float32Array, sig: ModelSignature, graph: GradientModel): Promise<Float32Array> {
    return this.#serial(async () => {
      const session = await (this.#gradient ??= this.#createGradient(new Uint8Array(graph.bytes).slice()));
      const classes = seed.length / feed.count;
      const inputs: Input[] = [
        [sig.inputName, feed, sig.modelDims],
        [graph.seedName, rowFeed(seed, classes), [classes]],
      ];
      return (await this.#runAll(session, inputs, graph.gradientName, GRADIENT_CHUNK, sig.fixedBatch)).data;
    });
  }

  /**
   * The forward part over the feed in chunks of GRADIENT_CHUNK (the chunks `gradient` runs), each
   * chunk's kept tensors written into a reused buffer set (../pool/kept-buffers.mjs) and held by
   * the returned pass until its backward part has read them or the pass is released.
   */
  gradientPass(feed: ModelFeed, sig: ModelSignature, graph: GradientModel): Promise<GradientPass> {
    const split = graph.split;
    if (!split) return Promise.reject(new Error('gradient pass: this gradient graph has no forward and backward parts.'));
    const plan = shardPlan(feed.count, 1, GRADIENT_CHUNK, sig.fixedBatch);
    const held: ({ kept: Record<string, Tensor>; set: KeptBufferSet } | undefined)[] = [];
    const drop = (k: number) => {
      const h = held[k];
      if (!h) return;
      held[k] = undefined;
      this.#keptBuffers!.give(h.set);
      this.#kept--;
    };
    const dropAll = () => held.forEach((_, k) => drop(k));
    const forward = this.#serial(async () => {
      const parts = await this.#splitSessions(split.forward, split.backward);
      const buffers = (this.#keptBuffers ??= new KeptBuffers(split.kept, this.#Tensor));
      const logits = new ResultAssembler(feed.count);
      try {
        for (const [k, s] of plan.entries()) {
          const { set, tensors } = buffers.take(s.runSize);
          let r: InferenceSession.OnnxValueMapType;
          try {
            r = await parts[0].run({ [sig.inputName]: this.#shardTensor(0, feed, s, sig.modelDims) }, { [split.logitsName]: null, ...tensors });
          } catch (e) {
            buffers.give(set);
            throw e;
          }
          held[k] = { kept: Object.fromEntries(split.kept.map(({ name }) => [name, tensors[name] ?? r[name]!])), set };
          this.#kept++;
          logits.add(s.start, s.n, s.runSize, (tensors[split.logitsName] ?? r[split.logitsName]!).data as Float32Array);
        }
      } catch (e) {
        dropAll();
        throw e;
      }
      return { parts, logits: logits.result().data };
    });
    return forward.then(({ parts, logits }) => {
      let used = false;
      let backwardCalled = false;
      return {
        logits,
        backward: (seed: Float32Array) => {
          if (used) return Promise.reject(new Error('gradient pass: backward may run once, before release.'));
          used = backwardCalled = true;
          return this.#serial(async () => {
            const classes = seed.length / feed.count;
            const seeds = rowFeed(seed, classes);
            const out = new ResultAssembler(feed.count);
            try {
              for (const [k, s] of plan.entries()) {
                const feeds = { [split.seedName]: this.#shardTensor(0, seeds, s, [classes]), ...held[k]!.kept };
                const r = await parts[1].run(feeds, [split.gradientName]);
                out.add(s.start, s.n, s.runSize, r[split.gradientName]!.data as Float32Array);
                drop(k);
              }
            } finally {
              dropAll();
            }
            return out.result().data;
          });
        },
        release: () => {
          used = true;
          // A backward part already queued drops the chunks itself once it has read them.
          if (!backwardCalled) dropAll();
          return Promise.resolve();
        },
      };
    });
  }

  /** Chunks of gradient passes held right now. */
  keptShards(): Promise<number> {
    return Promise.resolve(this.#kept);
  }

  #splitSessions(forward: SharedArrayBuffer, backward: SharedArrayBuffer): Promise<[InferenceSession, InferenceSession]> {
    const created = (this.#parts ??= Promise.all([this.#createGradient(new Uint8Array(forward).slice()), this.#createGradient(new Uint8Array(backward).slice())]));
    created.catch(() => {
      if (this.#parts === created) this.#parts = undefined;
    });
    return created;
  }

  /** Rows of a shard of `feed` in the k-th reused input buffer, zero-padded to the run size, as a tensor. */
  #shardTensor(k: number, feed: ModelFeed, s: Shard, dims: readonly number[]): Tensor {
    const size = s.runSize * feed.size;
    if (!this.#buffers[k] || this.#buffers[k].length < size) this.#buffers[k] = new Float32Array(size);
    const x = this.#buffers[k].subarray(0, size);
    feed.write(x, s.start, s.n);
    x.fill(0, s.n * feed.size);
    return new this.#Tensor('float32', x, [s.runSize, ...dims]);
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const done = this.#tail.then(f);
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async #runAll(session: InferenceSession, inputs: readonly Input[], outputName: string, chunk: number, fixedBatch: number | undefined): Promise<ForwardResult> {
    const count = inputs[0]![1].count;
    const out = new ResultAssembler(count);
    for (const s of shardPlan(count, 1, chunk, fixedBatch)) {
      const feeds: Record<string, Tensor> = {};
      inputs.forEach(([name, feed, dims], k) => (feeds[name] = this.#shardTensor(k, feed, s, dims)));
      const r = await session.run(feeds, [outputName]);
      out.add(s.start, s.n, s.runSize, r[outputName]!.data as Float32Array);
    }
    return out.result();
  }

  async close(): Promise<void> {
    const gradient = await this.#gradient?.catch(() => undefined);
    const parts = (await this.#parts?.catch(() => undefined)) ?? [];
    await Promise.all([this.#session.release(), gradient?.release(), ...parts.map((p) => p.release())]);
  }
}
