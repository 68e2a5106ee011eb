import type { Tensor } from 'onnxruntime-node';
import type { KeptTensor } from '../onnx/gradient/split-gradient-graph.ts';

/** One set of buffers (see kept-buffers.mjs). */
export interface KeptBufferSet {
  readonly capacity: number;
  readonly bytes: number;
}

/** Reused output buffers for the tensors a gradient pass keeps between its parts (kept-buffers.mjs). */
export declare class KeptBuffers {
  constructor(kept: readonly KeptTensor[], tensor: typeof Tensor, limit?: number);
  /** Output tensors for a run of `n` samples, by name (null where ORT must allocate), and the set to give back. */
  take(n: number): { set: KeptBufferSet; tensors: Record<string, Tensor | null> };
  /** Returns a set taken before. */
  give(set: KeptBufferSet): void;
}
