import onnxProto from 'onnx-proto';
import { ModelLoadError } from '@mixnsqueeze/core';

type Long = { toNumber(): number };
type Int = number | Long;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

const { AttributeType } = onnxProto.onnx.AttributeProto;
const { DataType } = onnxProto.onnx.TensorProto;

/** protobufjs decodes int64 fields as Long objects. */
export const num = (v: Int | null | undefined): number => (typeof v === 'number' ? v : v ? v.toNumber() : 0);

/** A node's attributes as plain values, with the node for error messages. */
export class Attributes {
  readonly #byName = new Map<string, onnxProto.onnx.IAttributeProto>();

  constructor(node: NodeProto) {
    for (const a of node.attribute ?? []) this.#byName.set(a.name!, a);
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  int(name: string, fallback: number): number {
    const a = this.#byName.get(name);
    return a ? num(a.i) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.#byName.get(name);
    return a ? (a.type === AttributeType.INT ? num(a.i) : (a.f ?? 0)) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.#byName.get(name);
    return a ? (a.ints ?? []).map(num) : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.#byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }

  tensor(name: string): TensorProto | undefined {
    return this.#byName.get(name)?.t ?? undefined;
  }
}

/** Values of a (small) tensor constant as numbers: floats, ints, int64s, from typed fields or raw bytes. */
export function tensorValues(t: TensorProto): number[] {
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const type = t.dataType ?? DataType.FLOAT;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    if (type === DataType.FLOAT) for (let i = 0; i < raw.byteLength; i += 4) out.push(view.getFloat32(i, true));
    else if (type === DataType.DOUBLE) for (let i = 0; i < raw.byteLength; i += 8) out.push(view.getFloat64(i, true));
    else if (type === DataType.INT64) for (let i = 0; i < raw.byteLength; i += 8) out.push(Number(view.getBigInt64(i, true)));
    else if (type === DataType.INT32) for (let i = 0; i < raw.byteLength; i += 4) out.push(view.getInt32(i, true));
    else throw new ModelLoadError(`onnx gradients: cannot read constant '${t.name}' of data type ${type}. Store it as float32 or int64.`);
    return out;
  }
  if (t.floatData?.length) return [...t.floatData];
  if (t.doubleData?.length) return [...t.doubleData];
  if (t.int64Data?.length) return t.int64Data.map(num);
  if (t.int32Data?.length) return [...t.int32Data];
  return [];
}

export const tensorDims = (t: TensorProto): number[] => (t.dims ?? []).map(num);

/** The value a Constant node produces, as a tensor. */
export function constantNodeTensor(node: NodeProto): TensorProto | undefined {
  const a = new Attributes(node);
  const t = a.tensor('value');
  if (t) return t;
  if (a.has('value_float')) return { dims: [], dataType: DataType.FLOAT, floatData: [a.float('value_float', 0)] };
  if (a.has('value_int')) return { dims: [], dataType: DataType.INT64, int64Data: [a.int('value_int', 0)] };
  const ints = a.ints('value_ints');
  if (ints) return { dims: [ints.length], dataType: DataType.INT64, int64Data: ints };
  return undefined;
}
