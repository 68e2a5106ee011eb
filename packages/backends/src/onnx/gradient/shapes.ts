import { Attributes, type NodeProto } from './onnx-ir.ts';

/** A dimension: a number, or 'N' for the symbolic batch axis of the model's input. */
export type Dim = number | 'N';
/** A tensor's shape; undefined where static inference cannot tell (a shape computed at run time). */
export type Shape = readonly Dim[] | undefined;

/** Sizes of one spatial axis of a convolution or pooling window. */
export interface WindowAxis {
  readonly size: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly padBegin: number;
  readonly padEnd: number;
  readonly out: number;
}

/**
 * The geometry of a Conv / pooling node per spatial axis, with auto_pad resolved to explicit pads
 * (SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning, as ONNX specifies).
 */
export function windowAxes(attrs: Attributes, spatial: readonly number[], kernel: readonly number[], ceil = false): WindowAxis[] {
  const r = spatial.length;
  const strides = attrs.ints('strides') ?? Array<number>(r).fill(1);
  const dilations = attrs.ints('dilations') ?? Array<number>(r).fill(1);
  const pads = attrs.ints('pads') ?? Array<number>(2 * r).fill(0);
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  return spatial.map((size, i) => {
    const k = kernel[i]!;
    const s = strides[i] ?? 1;
    const d = dilations[i] ?? 1;
    const eff = d * (k - 1) + 1;
    let pb = pads[i] ?? 0;
    let pe = pads[i + r] ?? 0;
    if (autoPad === 'VALID') pb = pe = 0;
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (Math.ceil(size / s) - 1) * s + eff - size);
      const small = Math.floor(total / 2);
      pb = autoPad === 'SAME_UPPER' ? small : total - small;
      pe = total - pb;
    }
    const span = size + pb + pe - eff;
    let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    // ONNX (and ORT) drop a last ceil-mode window that would start inside the end padding.
    if (ceil && (out - 1) * s >= size + pb) out--;
    return { size, kernel: k, stride: s, dilation: d, padBegin: pb, padEnd: pe, out };
  });
}

/** Numpy broadcasting of two static shapes. */
export function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const known = (s: readonly Dim[]): s is readonly number[] => s.every((d) => typeof d === 'number');

/** Product of dims as (static factor, whether the batch axis is among them). */
function product(dims: readonly Dim[]): { n: number; batch: boolean } {
  let n = 1;
  let batch = false;
  for (const d of dims) {
    if (d === 'N') batch = true;
    else n *= d;
  }
  return { n, batch };
}

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/**
 * Static shape of a node's first output from its input shapes and constant inputs, for the
 * operators the gradient builder differentiates (plus a few shape-preserving ones). Undefined
 * where the shape depends on values known only at run time.
 */
export function inferShape(node: NodeProto, inputs: readonly Shape[], constant: (name: string) => number[] | undefined): Shape {
  const attrs = new Attributes(node);
  const x = inputs[0];
  switch (node.opType) {
    case 'Relu':
    case 'LeakyRelu':
    case 'Clip':
    case 'Sigmoid':
    case 'Tanh':
    case 'Softmax':
    case 'LogSoftmax':
    case 'Identity':
    case 'Dropout':
    case 'BatchNormalization':
    case 'Neg':
    case 'Exp':
    case 'Cast':
    case 'Abs':
    case 'Sqrt':
    case 'Log':
    case 'Erf':
    case 'Floor':
    case 'Ceil':
    case 'Round':
    case 'Elu':
    case 'Selu':
    case 'Softplus':
    case 'HardSigmoid':
    case 'HardSwish':
      return x;
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return x && inputs[1] ? broadcast(x, inputs[1]) : undefined;
    case 'Conv':
    case 'MaxPool':
    case 'AveragePool': {
      const w = inputs[1];
      if (!x || !known(x.slice(2)) || (node.opType === 'Conv' && (!w || !known(w)))) return undefined;
      const kernel = node.opType === 'Conv' ? (w as number[]).slice(2) : (attrs.ints('kernel_shape') ?? []);
      const axes = windowAxes(attrs, x.slice(2) as number[], kernel, attrs.int('ceil_mode', 0) === 1);
      return [x[0]!, node.opType === 'Conv' ? (w as number[])[0]! : x[1]!, ...axes.map((a) => a.out)];
    }
    case 'ConvTranspose': {
      const w = inputs[1];
      if (!x || !w || !known(x.slice(2)) || !known(w)) return undefined;
      const spatial = x.slice(2) as number[];
      const channels = w[1]! * attrs.int('group', 1);
      const outputShape = attrs.ints('output_shape');
      if (outputShape) return [x[0]!, channels, ...outputShape.slice(-spatial.length)];
      const r = spatial.length;
      const strides = attrs.ints('strides') ?? Array<number>(r).fill(1);
      const dil = attrs.ints('dilations') ?? Array<number>(r).fill(1);
      const pads = attrs.ints('pads') ?? Array<number>(2 * r).fill(0);
      const outPad = attrs.ints('output_padding') ?? Array<number>(r).fill(0);
      const autoPad = attrs.string('auto_pad', 'NOTSET');
      return [
        x[0]!,
        channels,
        ...spatial.map((h, i) => {
          if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return h * strides[i]!;
          const p = autoPad === 'VALID' ? 0 : pads[i]! + pads[i + r]!;
          return strides[i]! * (h - 1) + outPad[i]! + dil[i]! * (w[i + 2]! - 1) + 1 - p;
        }),
      ];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return x ? [...x.slice(0, 2), ...x.slice(2).map(() => 1)] : undefined;
    case 'Gemm': {
      const b = inputs[1];
      if (!x || !b) return undefined;
      return [attrs.int('transA', 0) ? x[1]! : x[0]!, attrs.int('transB', 0) ? b[0]! : b[1]!];
    }
    case 'MatMul': {
      const b = inputs[1];
      if (!x || !b || x.length < 2 || b.length < 2) return undefined;
      return [...broadcast(x.slice(0, -2), b.slice(0, -2)), x[x.length - 2]!, b[b.length - 1]!];
    }
    case 'Flatten': {
      if (!x) return undefined;
      const axis = normAxis(attrs.int('axis', 1), x.length);
      const outer = product(x.slice(0, axis));
      const inner = product(x.slice(axis));
      if (inner.batch || (outer.batch && outer.n !== 1)) return undefined;
      return [outer.batch ? 'N' : outer.n, inner.n];
    }
    case 'Reshape': {
      const target = constant(node.input![1]!);
      if (!x || !target) return undefined;
      const allowZero = attrs.int('allowzero', 0) === 1;
      const dims: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x[i]! : d));
      const free = dims.indexOf(-1);
      if (free < 0) return dims;
      const total = product(x);
      const rest = product(dims.filter((_, i) => i !== free));
      if (total.batch === rest.batch) dims[free] = total.n / rest.n;
      else if (total.batch && total.n === rest.n) dims[free] = 'N';
      else return undefined;
      return dims;
    }
    case 'Transpose': {
      if (!x) return undefined;
      const perm = attrs.ints('perm') ?? x.map((_, i) => x.length - 1 - i);
      return perm.map((p) => x[p]!);
    }
    case 'Concat': {
      if (inputs.some((s) => !s)) return undefined;
      const axis = normAxis(attrs.int('axis', 0), x!.length);
      const sizes = inputs.map((s) => s![axis]!);
      if (sizes.some((d) => d === 'N')) return undefined;
      return x!.map((d, i) => (i === axis ? (sizes as number[]).reduce((a, b) => a + b, 0) : d));
    }
    case 'Pad': {
      const pads = padsOf(node, attrs, constant, x?.length ?? 0);
      if (!x || !pads) return undefined;
      const r = x.length;
      return x.map((d, i) => (d === 'N' ? d : d + pads[i]! + pads[i + r]!));
    }
    default:
      return undefined;
  }
}

/** A Pad node's pads for every axis ([begin..., end...]), from its attribute (opset < 11) or constant inputs. */
export function padsOf(node: NodeProto, attrs: Attributes, constant: (name: string) => number[] | undefined, rank: number): number[] | undefined {
  const fromAttr = attrs.ints('pads');
  if (fromAttr) return fromAttr;
  const pads = node.input?.[1] ? constant(node.input[1]) : undefined;
  if (!pads) return undefined;
  const axesName = node.input?.[3];
  if (!axesName) return pads;
  const axes = constant(axesName);
  if (!axes) return undefined;
  const full = Array<number>(2 * rank).fill(0);
  axes.forEach((a, i) => {
    const ax = normAxis(a, rank);
    full[ax] = pads[i]!;
    full[ax + rank] = pads[i + axes.length]!;
  });
  return full;
}
