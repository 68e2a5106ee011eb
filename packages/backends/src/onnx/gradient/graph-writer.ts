import onnxProto from 'onnx-proto';
import { type NodeProto, type TensorProto } from './onnx-ir.ts';

const { onnx } = onnxProto;
const T = onnx.AttributeProto.AttributeType;

/** A float attribute must be marked as such: a JS number alone cannot tell 1.0 from 1. */
export interface FloatAttr {
  readonly float: number;
}
export type AttrValue = number | readonly number[] | string | FloatAttr;

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value] };
}

/** ONNX TensorProto data type of float32, for Cast. */
export const FLOAT = onnx.TensorProto.DataType.FLOAT;

/**
 * The nodes and constants of the gradient graph, written after the copied forward graph. Knows
 * the opset, so helpers whose operator changed signature (axes as attribute before opset 13, as
 * input from 13) emit the right form.
 */
export class GraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly opset: number;
  readonly #taken: Set<string>;
  readonly #scalars = new Map<number, string>();
  #counter = 0;

  constructor(opset: number, taken: Iterable<string>) {
    this.opset = opset;
    this.#taken = new Set(taken);
  }

  fresh(prefix: string): string {
    let name: string;
    do name = `grad/${prefix}_${this.#counter++}`;
    while (this.#taken.has(name));
    this.#taken.add(name);
    return name;
  }

  /** Appends a node; returns its output names (`outputs` of them). */
  add(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const out = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, name: `${out[0]}_node`, input: [...inputs], output: out, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  /** Appends a one-output node and returns the output. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.add(opType, inputs, attrs)[0]!;
  }

  floats(prefix: string, data: Float32Array, dims: readonly number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() });
    return name;
  }

  int64s(prefix: string, values: readonly number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return name;
  }

  /** A float scalar constant, shared by every use of the same value. */
  scalar(value: number): string {
    let name = this.#scalars.get(value);
    if (!name) {
      name = this.floats('scalar', Float32Array.of(value), []);
      this.#scalars.set(value, name);
    }
    return name;
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    const k = keepdims ? 1 : 0;
    return this.opset >= 13 ? this.op('ReduceSum', [x, this.int64s('axes', axes)], { keepdims: k }) : this.op('ReduceSum', [x], { axes, keepdims: k });
  }

  split(x: string, axis: number, sizes: readonly number[]): string[] {
    return this.opset >= 13
      ? this.add('Split', [x, this.int64s('split', sizes)], { axis }, sizes.length)
      : this.add('Split', [x], { axis, split: sizes }, sizes.length);
  }

  slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): string {
    const inputs = [x, this.int64s('starts', starts), this.int64s('ends', ends), this.int64s('axes', axes)];
    if (steps) inputs.push(this.int64s('steps', steps));
    return this.op('Slice', inputs);
  }

  /** Float 1 where `x > 0`, else 0: a ReLU-style mask. */
  positive(x: string): string {
    return this.op('Cast', [this.op('Greater', [x, this.scalar(0)])], { to: FLOAT });
  }
}
