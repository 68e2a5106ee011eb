import type { InferenceSession } from 'onnxruntime-node';
import { shardPlan } from '../pool/shard-plan.ts';
import { type ForwardResult, type ForwardRunner, ResultAssembler } from './forward-runner.ts';
import { type ModelFeed } from './model-feed.ts';
import { type ModelSignature } from './model-signature.ts';
import { type OrtModule } from './ort-session.ts';

/**
 * Samples per model call: large batches are cut so that intermediate activations stay bounded
 * (the MNIST CNN's first activation is 86 KB per image) at no cost in throughput.
 */
const CHUNK = 256;

/**
 * One ORT session in this thread. onnxruntime-node runs a session synchronously on the calling
 * thread, so calls are serialised here; that also makes the reused input buffer safe.
 */
export class InProcessRunner implements ForwardRunner {
  readonly #session: InferenceSession;
  readonly #Tensor: OrtModule['Tensor'];
  #buffer = new Float32Array(0);
  #tail: Promise<unknown> = Promise.resolve();

  constructor(session: InferenceSession, ort: OrtModule) {
    this.#session = session;
    this.#Tensor = ort.Tensor;
  }

  run(feed: ModelFeed, signature: ModelSignature): Promise<ForwardResult> {
    const done = this.#tail.then(() => this.#runAll(feed, signature));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async #runAll(feed: ModelFeed, sig: ModelSignature): Promise<ForwardResult> {
    const out = new ResultAssembler(feed.count);
    for (const s of shardPlan(feed.count, 1, CHUNK, sig.fixedBatch)) {
      const size = s.runSize * feed.size;
      if (this.#buffer.length < size) this.#buffer = new Float32Array(size);
      const x = this.#buffer.subarray(0, size);
      feed.write(x, s.start, s.n);
      x.fill(0, s.n * feed.size);
      const r = await this.#session.run({ [sig.inputName]: new this.#Tensor('float32', x, [s.runSize, ...sig.modelDims]) }, [sig.outputName]);
      out.add(s.start, s.n, s.runSize, r[sig.outputName]!.data as Float32Array);
    }
    return out.result();
  }

  close(): Promise<void> {
    return this.#session.release();
  }
}
