import type { InferenceSession } from 'onnxruntime-node';
import { shardPlan } from '../pool/shard-plan.ts';
import { type ForwardResult, type ForwardRunner, type GradientModel, ResultAssembler, rowFeed } from './forward-runner.ts';
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

/**
 * One ORT session in this thread (and its gradient graph's, when gradients are asked for). onnxruntime-node runs a session synchronously on the calling
 * thread, so calls are serialised here; that also makes the reused input buffer safe.
 */
export class InProcessRunner implements ForwardRunner {
  readonly #session: InferenceSession;
  readonly #Tensor: OrtModule['Tensor'];
  /** Creates the gradient graph's session, on first use: logits-only users never pay for it. */
  readonly #createGradient: (model: Uint8Array) => Promise<InferenceSession>;
  #gradient: Promise<InferenceSession> | undefined;
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

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const done = this.#tail.then(f);
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async #runAll(session: InferenceSession, inputs: readonly Input[], outputName: string, chunk: number, fixedBatch: number | undefined): Promise<ForwardResult> {
    const count = inputs[0]![1].count;
    const out = new ResultAssembler(count);
    for (const s of shardPlan(count, 1, chunk, fixedBatch)) {
      const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
      inputs.forEach(([name, feed, dims], k) => {
        const size = s.runSize * feed.size;
        if (!this.#buffers[k] || this.#buffers[k].length < size) this.#buffers[k] = new Float32Array(size);
        const x = this.#buffers[k].subarray(0, size);
        feed.write(x, s.start, s.n);
        x.fill(0, s.n * feed.size);
        feeds[name] = new this.#Tensor('float32', x, [s.runSize, ...dims]);
      });
      const r = await session.run(feeds, [outputName]);
      out.add(s.start, s.n, s.runSize, r[outputName]!.data as Float32Array);
    }
    return out.result();
  }

  async close(): Promise<void> {
    const gradient = await this.#gradient?.catch(() => undefined);
    await Promise.all([this.#session.release(), gradient?.release()]);
  }
}
