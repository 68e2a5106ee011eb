// Reused output buffers for the tensors a gradient pass keeps between its forward and backward
// parts (see ../onnx/gradient/split-gradient-graph.ts). ORT writes outputs given as tensors straight
// into them; outputs it allocates itself are copied into fresh JS memory on every run, which cost
// more than the forward pass they came from (MNIST CNN: 18 MB per 100 images). A set holds one
// buffer per kept tensor, for up to `capacity` samples; sets come back after the backward part
// has read them (or the pass was released) and are kept for the next pass up to a byte limit.
// Plain JavaScript, shared by the pool worker and the in-process runner.

const ARRAYS = { float32: Float32Array, int64: BigInt64Array, bool: Uint8Array };
const BYTES = { float32: 4, int64: 8, bool: 1 };
/** Capacities are rounded up to a multiple of this, so that shards one sample apart share sets. */
const ROUND = 16;

const dimsFor = (t, n) => t.dims.map((d) => (typeof d === 'number' ? d : n));
const sizeFor = (t, n) => dimsFor(t, n).reduce((a, b) => a * b, 1);

export class KeptBuffers {
  #kept;
  #Tensor;
  #limit;
  #free = [];
  #freeBytes = 0;

  /** `kept`: the split graph's kept tensors; `Tensor`: onnxruntime's; `limit`: bytes of idle sets kept. */
  constructor(kept, Tensor, limit = 64 * 2 ** 20) {
    this.#kept = kept;
    this.#Tensor = Tensor;
    this.#limit = limit;
  }

  /**
   * Output tensors for a run of `n` samples, by name (null where the shape is not static: ORT
   * allocates those), and the set to give back.
   */
  take(n) {
    let k = -1;
    for (let i = 0; i < this.#free.length; i++) {
      if (this.#free[i].capacity >= n && (k < 0 || this.#free[i].capacity < this.#free[k].capacity)) k = i;
    }
    let set;
    if (k >= 0) {
      set = this.#free.splice(k, 1)[0];
      this.#freeBytes -= set.bytes;
    } else {
      set = this.#allocate(Math.ceil(n / ROUND) * ROUND);
    }
    const tensors = {};
    for (const t of this.#kept) {
      const buffer = set.buffers[t.name];
      tensors[t.name] = buffer ? new this.#Tensor(t.type, buffer.subarray(0, sizeFor(t, n)), dimsFor(t, n)) : null;
    }
    return { set, tensors };
  }

  /** Returns a set taken before; it is reused, or dropped when the idle sets would exceed the limit. */
  give(set) {
    if (this.#freeBytes + set.bytes > this.#limit) return;
    this.#free.push(set);
    this.#freeBytes += set.bytes;
  }

  #allocate(capacity) {
    const buffers = {};
    let bytes = 0;
    for (const t of this.#kept) {
      if (!t.dims) continue;
      const size = sizeFor(t, capacity);
      buffers[t.name] = new ARRAYS[t.type](size);
      bytes += size * BYTES[t.type];
    }
    return { capacity, buffers, bytes };
  }
}
