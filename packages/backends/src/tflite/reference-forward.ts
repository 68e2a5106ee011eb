import { FormatError } from '@mixnsqueeze/core';
import { type TfliteActivation, type TfliteModel, type TfliteWindowOptions } from './tflite-model.ts';

/** An activation of the reference pass: float64, HWC (one sample). */
interface Value {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** TF window geometry along one axis: output size and the padding before the first window. */
function axis(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.floor((size - kernel) / stride) + 1, before: 0 };
  const out = Math.ceil(size / stride);
  // The odd pixel of padding goes after (bottom, right): TF's rule.
  return { out, before: Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2) };
}

function activate(v: number, a: TfliteActivation): number {
  if (a === 'none') return v;
  const r = Math.max(0, v);
  return a === 'relu6' ? Math.min(6, r) : r;
}

/**
 * Convolution of an HWC input. Filters are TFLite's: [out, kh, kw, in] for CONV_2D, [1, kh, kw,
 * in * multiplier] for DEPTHWISE_CONV_2D (output channel c * multiplier + m reads input channel c).
 */
function convolve(x: Value, filter: Float64Array, fshape: readonly number[], bias: Float64Array, o: TfliteWindowOptions, depthwise: boolean): Value {
  const [h, w, ci] = x.shape as [number, number, number];
  const [f0, kh, kw, f3] = fshape as [number, number, number, number];
  const co = depthwise ? f3 : f0;
  const mult = depthwise ? co / ci : 1;
  const rows = axis(h, kh, o.strides[0], o.padding);
  const cols = axis(w, kw, o.strides[1], o.padding);
  const y = new Float64Array(rows.out * cols.out * co);
  for (let i = 0; i < rows.out; i++)
    for (let j = 0; j < cols.out; j++)
      for (let c = 0; c < co; c++) {
        let s = bias[c]!;
        for (let di = 0; di < kh; di++) {
          const r = i * o.strides[0] + di - rows.before;
          if (r < 0 || r >= h) continue;
          for (let dj = 0; dj < kw; dj++) {
            const q = j * o.strides[1] + dj - cols.before;
            if (q < 0 || q >= w) continue;
            const px = (r * w + q) * ci;
            if (depthwise) s += x.data[px + Math.floor(c / mult)]! * filter[(di * kw + dj) * co + c]!;
            else for (let k = 0; k < ci; k++) s += x.data[px + k]! * filter[((c * kh + di) * kw + dj) * ci + k]!;
          }
        }
        y[(i * cols.out + j) * co + c] = activate(s, o.activation);
      }
  return { data: y, shape: [rows.out, cols.out, co] };
}

/** TF's average pool: the mean over the window's pixels inside the image (padding not counted). */
function averagePool(x: Value, o: TfliteWindowOptions): Value {
  const [h, w, c] = x.shape as [number, number, number];
  const [kh, kw] = o.filter!;
  const rows = axis(h, kh, o.strides[0], o.padding);
  const cols = axis(w, kw, o.strides[1], o.padding);
  const y = new Float64Array(rows.out * cols.out * c);
  for (let i = 0; i < rows.out; i++)
    for (let j = 0; j < cols.out; j++) {
      let n = 0;
      const at = (i * cols.out + j) * c;
      for (let di = 0; di < kh; di++) {
        const r = i * o.strides[0] + di - rows.before;
        if (r < 0 || r >= h) continue;
        for (let dj = 0; dj < kw; dj++) {
          const q = j * o.strides[1] + dj - cols.before;
          if (q < 0 || q >= w) continue;
          n++;
          for (let k = 0; k < c; k++) y[at + k]! += x.data[(r * w + q) * c + k]!;
        }
      }
      for (let k = 0; k < c; k++) y[at + k] = activate(y[at + k]! / n, o.activation);
    }
  return { data: y, shape: [rows.out, cols.out, c] };
}

/**
 * A float64 forward pass of a TFLite classifier (the operators of `readTflite`) on one HWC image,
 * given exactly as the model's input expects it (for MobileNet: (pixel - 127.5) / 127.5). Returns
 * the input of the final SOFTMAX, i.e. the logits, when the graph ends in one (`stopBeforeSoftmax`,
 * the default), else the graph's output. The reference a conversion is checked against: written
 * from the TFLite operator definitions, sharing no code with tfjs or ONNX Runtime.
 */
export function tfliteForward(model: TfliteModel, image: Float64Array, stopBeforeSoftmax = true): Float64Array {
  const values = new Map<number, Value>();
  const input = model.inputs[0]!;
  values.set(input, { data: image, shape: model.tensors[input]!.shape.slice(1) });
  const constant = (i: number): Float64Array => {
    const d = model.tensors[i]?.data;
    if (!d) throw new FormatError(`tfliteForward: tensor ${i} is not a constant.`);
    return Float64Array.from(d);
  };
  for (const op of model.operators) {
    const x = values.get(op.inputs[0]!);
    if (!x) throw new FormatError(`tfliteForward: ${op.op} reads tensor ${op.inputs[0]}, which nothing computed (operators out of order?).`);
    let y: Value;
    switch (op.op) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const f = model.tensors[op.inputs[1]!]!;
        const bias = op.inputs[2] !== undefined && op.inputs[2] >= 0 ? constant(op.inputs[2]) : new Float64Array(f.shape[op.op === 'CONV_2D' ? 0 : 3]!);
        y = convolve(x, constant(op.inputs[1]!), f.shape, bias, op.window!, op.op === 'DEPTHWISE_CONV_2D');
        break;
      }
      case 'AVERAGE_POOL_2D':
        y = averagePool(x, op.window!);
        break;
      case 'RESHAPE':
      case 'SQUEEZE':
        y = { data: x.data, shape: model.tensors[op.outputs[0]!]!.shape.slice(1) };
        break;
      case 'SOFTMAX': {
        if (stopBeforeSoftmax) return x.data;
        const m = Math.max(...x.data);
        const e = x.data.map((v) => Math.exp(op.beta! * (v - m)));
        const sum = e.reduce((a, b) => a + b, 0);
        y = { data: e.map((v) => v / sum), shape: x.shape };
        break;
      }
    }
    values.set(op.outputs[0]!, y);
  }
  return values.get(model.outputs[0]!)!.data;
}
