import { FormatError } from '@mixnsqueeze/core';
import { FlatTable } from './flatbuffer.ts';

/**
 * The subset of TensorFlow Lite's schema (tensorflow/lite/schema/schema.fbs, version 3) that float
 * image classifiers such as MobileNet v1 use. Field indices below are the schema's declaration
 * order; unions count twice (type, then value).
 */

/** Builtin operator codes this reader knows (schema enum BuiltinOperator). */
export const TFLITE_OPS = {
  AVERAGE_POOL_2D: 1,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  RESHAPE: 22,
  SOFTMAX: 25,
  SQUEEZE: 43,
} as const;
/** Name of a builtin operator this reader knows. */
export type TfliteOpName = keyof typeof TFLITE_OPS;

/** TF padding: 'same' pads so that out = ceil(in / stride), the odd pixel after; 'valid' never pads. */
export type TflitePadding = 'same' | 'valid';
/** Fused activations (schema enum ActivationFunctionType), those this reader knows. */
export type TfliteActivation = 'none' | 'relu' | 'relu6';

/** A tensor: shape, and its constant data when it has a buffer (weights), float32 only. */
export interface TfliteTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** The constant values (weights, biases, shapes), absent for activations. */
  readonly data?: Float32Array | Int32Array;
}

/** Options of a window operator (convolution, depthwise convolution, pooling). */
export interface TfliteWindowOptions {
  readonly padding: TflitePadding;
  readonly strides: readonly [number, number];
  readonly activation: TfliteActivation;
  /** Pooling window [h, w]; convolutions take theirs from the filter. */
  readonly filter?: readonly [number, number];
  /** Depthwise convolutions: output channels per input channel. */
  readonly depthMultiplier?: number;
}

/** One operator: its type, its input and output tensor indices, and its options. */
export interface TfliteOperator {
  readonly op: TfliteOpName;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Window operators only. */
  readonly window?: TfliteWindowOptions;
  /** SOFTMAX: its beta (logits are multiplied by it). */
  readonly beta?: number;
}

/** The first subgraph of a TFLite model: tensors, operators in execution order, graph inputs and outputs. */
export interface TfliteModel {
  readonly version: number;
  readonly description: string;
  readonly tensors: readonly TfliteTensor[];
  readonly operators: readonly TfliteOperator[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

const PADDING: Record<number, TflitePadding> = { 0: 'same', 1: 'valid' };
const ACTIVATION: Record<number, TfliteActivation> = { 0: 'none', 1: 'relu', 3: 'relu6' };
const TENSOR_FLOAT32 = 0;
const TENSOR_INT32 = 2;
const OP_NAMES = new Map<number, TfliteOpName>(Object.entries(TFLITE_OPS).map(([k, v]) => [v, k as TfliteOpName]));

function enumOf<T>(table: Record<number, T>, value: number, what: string, where: string): T {
  const v = table[value];
  if (v === undefined) throw new FormatError(`${where}: ${what} ${value} is not supported by this TFLite reader.`);
  return v;
}

/**
 * Window options. Conv2DOptions: padding, stride_w, stride_h, activation; DepthwiseConv2DOptions:
 * padding, stride_w, stride_h, depth_multiplier, activation; Pool2DOptions: padding, stride_w,
 * stride_h, filter_width, filter_height, activation. Dilations other than 1 are refused.
 */
function windowOptions(op: TfliteOpName, o: FlatTable | undefined, where: string): TfliteWindowOptions {
  if (!o) throw new FormatError(`${where}: ${op} has no options.`);
  const padding = enumOf(PADDING, o.int8(0), 'padding', where);
  const strides = [o.int32(2), o.int32(1)] as const;
  if (op === 'AVERAGE_POOL_2D') {
    return { padding, strides, filter: [o.int32(4), o.int32(3)], activation: enumOf(ACTIVATION, o.int8(5), 'fused activation', where) };
  }
  const depthwise = op === 'DEPTHWISE_CONV_2D';
  const dilations = depthwise ? [o.int32(5, 1), o.int32(6, 1)] : [o.int32(4, 1), o.int32(5, 1)];
  if (dilations.some((d) => d !== 1)) throw new FormatError(`${where}: dilated ${op} is not supported by this TFLite reader.`);
  const activation = enumOf(ACTIVATION, o.int8(depthwise ? 4 : 3), 'fused activation', where);
  return depthwise ? { padding, strides, activation, depthMultiplier: o.int32(3, 1) } : { padding, strides, activation };
}

/**
 * Reads a TFLite flatbuffer (first subgraph) with float32 tensors and the operators of
 * {@link TFLITE_OPS}. Throws FormatError for anything else: quantised tensors, other operators,
 * a file that is not a TFLite model.
 */
export function readTflite(bytes: Uint8Array, what = 'TFLite model'): TfliteModel {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(4, 8)) !== 'TFL3') {
    throw new FormatError(`${what}: no 'TFL3' file identifier at byte 4; expected a TensorFlow Lite flatbuffer (.tflite).`);
  }
  const model = FlatTable.root(bytes, what);
  const codes = model.tables(1).map((c) => Math.max(c.int8(0), c.int32(3)));
  const subgraph = model.tables(2)[0];
  if (!subgraph) throw new FormatError(`${what}: the model has no subgraph.`);
  const buffers = model.tables(4).map((b) => b.bytes(0));
  const tensors = subgraph.tables(0).map((t, i): TfliteTensor => {
    const name = t.string(3) ?? `tensor ${i}`;
    const type = t.int8(1);
    const shape = t.int32s(0) ?? [];
    const raw = buffers[t.uint32(2)];
    if (!raw || raw.length === 0) return { name, shape };
    if (type !== TENSOR_FLOAT32 && type !== TENSOR_INT32) throw new FormatError(`${what}: tensor '${name}' has type ${type}; only float32 models are supported (not quantised ones).`);
    if (raw.length % 4 !== 0) throw new FormatError(`${what}: tensor '${name}' holds ${raw.length} bytes, not whole 4-byte values.`);
    // Copied: the buffer's bytes need not be 4-aligned within the file.
    const aligned = raw.slice().buffer;
    return { name, shape, data: type === TENSOR_FLOAT32 ? new Float32Array(aligned) : new Int32Array(aligned) };
  });
  const operators = subgraph.tables(3).map((o, i): TfliteOperator => {
    const code = codes[o.uint32(0)];
    const op = code === undefined ? undefined : OP_NAMES.get(code);
    const where = `${what}, operator ${i}`;
    if (!op) throw new FormatError(`${where}: builtin operator ${code} is not supported by this TFLite reader.`);
    const io = { op, inputs: o.int32s(1) ?? [], outputs: o.int32s(2) ?? [] };
    const options = o.table(4);
    if (op === 'CONV_2D' || op === 'DEPTHWISE_CONV_2D' || op === 'AVERAGE_POOL_2D') return { ...io, window: windowOptions(op, options, where) };
    if (op === 'SOFTMAX') return { ...io, beta: options?.float32(0) ?? 0 };
    return io;
  });
  return {
    version: model.uint32(0),
    description: model.string(3) ?? '',
    tensors,
    operators,
    inputs: subgraph.int32s(1) ?? [],
    outputs: subgraph.int32s(2) ?? [],
  };
}
