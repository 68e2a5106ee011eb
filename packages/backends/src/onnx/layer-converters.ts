import { type LayerJson, type Weight } from './layers-artifacts.ts';
import { type OnnxGraphBuilder } from './onnx-graph-builder.ts';
import { UnsupportedLayerError } from './unsupported-layer-error.ts';

/**
 * A value flowing through the exported graph. ONNX convolutions are NCHW while tfjs is NHWC, so
 * images travel as NCHW (`dims` = [C, H, W]); a flattened image keeps its CHW element order
 * (`flat-chw`, dims still [C, H, W]) until a Dense layer absorbs the reordering into its weights;
 * plain vectors are `flat` (dims = [D]).
 */
export interface GraphValue {
  readonly name: string;
  readonly layout: 'nchw' | 'flat-chw' | 'flat';
  readonly dims: readonly number[];
}

export interface ConvertContext {
  readonly graph: OnnxGraphBuilder;
  weight(layer: LayerJson, which: string): Weight;
}

type Converter = (x: GraphValue, layer: LayerJson, ctx: ConvertContext) => GraphValue;
type MergeConverter = (xs: readonly GraphValue[], layer: LayerJson, ctx: ConvertContext) => GraphValue;

function pair(v: unknown, fallback: readonly number[]): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = (v ?? fallback) as number[];
  return [a[0]!, a[1]!];
}

function need(layer: LayerJson, ok: boolean, why: string): void {
  if (!ok) throw new UnsupportedLayerError(layer.config.name, layer.class_name, why);
}

function activation(x: GraphValue, layer: LayerJson, ctx: ConvertContext, name: unknown): GraphValue {
  switch (name ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return { ...x, name: ctx.graph.node('Relu', [x.name]) };
    case 'relu6':
      // Clip's bounds are inputs from opset 11 on; the gradient rule passes g where 0 < y < 6.
      return { ...x, name: ctx.graph.node('Clip', [x.name, ctx.graph.constant('relu6_min', Float32Array.of(0), []), ctx.graph.constant('relu6_max', Float32Array.of(6), [])]) };
    case 'softmax':
      // tfjs softmax runs over the last (channel) axis: axis 1 of NCHW; over a flattened vector
      // the element order does not matter to softmax, so flat-chw stays as it is.
      return { ...x, name: ctx.graph.node('Softmax', [x.name], { axis: x.layout === 'nchw' ? 1 : -1 }) };
    default:
      throw new UnsupportedLayerError(layer.config.name, layer.class_name, `activation '${String(name)}'`);
  }
}

/** Explicit [top, left, bottom, right] pads and output size of a TF-style 'valid'/'same' window. */
function window(
  layer: LayerJson,
  h: number,
  w: number,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): { pads: number[]; out: [number, number] } {
  const padding = layer.config.padding ?? 'valid';
  need(layer, padding === 'valid' || padding === 'same', `padding '${String(padding)}'`);
  const sizes = [h, w];
  const pads = [0, 0, 0, 0];
  const out: [number, number] = [0, 0];
  for (let a = 0; a < 2; a++) {
    const extent = (kernel[a]! - 1) * dilations[a]! + 1;
    if (padding === 'valid') {
      out[a] = Math.floor((sizes[a]! - extent) / strides[a]!) + 1;
    } else {
      // TF 'same': out = ceil(in / stride), the odd pixel of padding goes after (ONNX SAME_UPPER).
      out[a] = Math.ceil(sizes[a]! / strides[a]!);
      const total = Math.max((out[a]! - 1) * strides[a]! + extent - sizes[a]!, 0);
      pads[a] = Math.floor(total / 2);
      pads[a + 2] = total - pads[a]!;
    }
  }
  need(layer, out[0] > 0 && out[1] > 0, `window larger than its ${h}x${w} input`);
  return { pads, out };
}

function channelsLast(layer: LayerJson, x: GraphValue): void {
  need(layer, (layer.config.data_format ?? 'channels_last') === 'channels_last', 'data_format channels_first');
  need(layer, x.layout === 'nchw', `expected an image input, got a ${x.dims.length === 1 ? 'vector' : 'flattened'} value`);
}

/** tfjs kernel [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
function oihw(k: Weight): Float32Array {
  const [kh, kw, ci, co] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k.data[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

/**
 * Rows of a Dense kernel that follows a Flatten of an NHWC image, reordered for the CHW flatten
 * order of the exported graph: tfjs row (h*W + w)*C + c becomes row (c*H + h)*W + w. Moving the
 * permutation into the weights costs nothing at run time.
 */
function chwRows(k: Weight, [c, h, w]: readonly number[]): Float32Array {
  const units = k.shape[1]!;
  const out = new Float32Array(k.data.length);
  for (let ci = 0; ci < c!; ci++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++) {
        const from = ((y * w! + x) * c! + ci) * units;
        out.set(k.data.subarray(from, from + units), ((ci * h! + y) * w! + x) * units);
      }
  return out;
}

/**
 * A tfjs convolution as an ONNX Conv: `kernelName` names its weight, `toOihw` reorders the tfjs
 * kernel [kh, kw, in, k] into ONNX's [out, in / group, kh, kw], and a depthwise kernel gets one
 * group per input channel (its k is the channel multiplier).
 */
function convolution(kernelName: 'kernel' | 'depthwise_kernel', toOihw: (k: Weight) => Float32Array): Converter {
  const depthwise = kernelName === 'depthwise_kernel';
  return (x, layer, ctx) => {
    channelsLast(layer, x);
    const cfg = layer.config;
    const kernel = ctx.weight(layer, kernelName);
    const [kh, kw, ci, k] = kernel.shape as [number, number, number, number];
    need(layer, ci === x.dims[0], `kernel expects ${ci} input channels, the input has ${x.dims[0]}`);
    const strides = pair(cfg.strides, [1, 1]);
    const dilations = pair(cfg.dilation_rate, [1, 1]);
    const { pads, out } = window(layer, x.dims[1]!, x.dims[2]!, [kh, kw], strides, dilations);
    const co = depthwise ? ci * k : k;
    const inputs = [x.name, ctx.graph.constant(kernelName, toOihw(kernel), [co, depthwise ? 1 : ci, kh, kw])];
    if (cfg.use_bias !== false) inputs.push(ctx.graph.constant('bias', ctx.weight(layer, 'bias').data, [co]));
    const y = ctx.graph.node('Conv', inputs, { kernel_shape: [kh, kw], strides, dilations, pads, group: depthwise ? ci : 1 });
    return activation({ name: y, layout: 'nchw', dims: [co, out[0], out[1]] }, layer, ctx, cfg.activation);
  };
}

const conv2d = convolution('kernel', oihw);

/** tfjs depthwise kernel [kh, kw, in, multiplier] -> ONNX grouped Conv weights [in * multiplier, 1, kh, kw]. */
function depthwiseOihw(k: Weight): Float32Array {
  const [kh, kw, ci, m] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < ci; c++)
        for (let j = 0; j < m; j++) out[((c * m + j) * kh + y) * kw + x] = k.data[((y * kw + x) * ci + c) * m + j]!;
  return out;
}

/**
 * A depthwise convolution is a Conv with one group per input channel; tfjs orders its outputs
 * channel-major (c * multiplier + j), which is the order of ONNX's groups.
 */
const depthwiseConv2d = convolution('depthwise_kernel', depthwiseOihw);

const maxPooling2d: Converter = (x, layer, ctx) => {
  channelsLast(layer, x);
  const size = pair(layer.config.pool_size, [2, 2]);
  const strides = pair(layer.config.strides, size);
  const { pads, out } = window(layer, x.dims[1]!, x.dims[2]!, size, strides, [1, 1]);
  const y = ctx.graph.node('MaxPool', [x.name], { kernel_shape: size, strides, pads });
  return { name: y, layout: 'nchw', dims: [x.dims[0]!, out[0], out[1]] };
};

/** TF averages over the window's pixels inside the image only, hence count_include_pad 0. */
const averagePooling2d: Converter = (x, layer, ctx) => {
  channelsLast(layer, x);
  const size = pair(layer.config.pool_size, [2, 2]);
  const strides = pair(layer.config.strides, size);
  const { pads, out } = window(layer, x.dims[1]!, x.dims[2]!, size, strides, [1, 1]);
  const y = ctx.graph.node('AveragePool', [x.name], { kernel_shape: size, strides, pads, count_include_pad: 0 });
  return { name: y, layout: 'nchw', dims: [x.dims[0]!, out[0], out[1]] };
};

/** One value per channel: already in the order tfjs gives it, so `flat`. */
const globalAveragePooling2d: Converter = (x, layer, ctx) => {
  channelsLast(layer, x);
  need(layer, !layer.config.keepdims, 'keepdims true');
  const pooled = ctx.graph.node('GlobalAveragePool', [x.name]);
  return { name: ctx.graph.node('Flatten', [pooled], { axis: 1 }), layout: 'flat', dims: [x.dims[0]!] };
};

/**
 * Inference-mode batch normalisation as one per-channel multiply-add:
 * y = (x - mean) * gamma / sqrt(var + eps) + beta.
 */
const batchNormalization: Converter = (x, layer, ctx) => {
  const cfg = layer.config;
  const axes = Array.isArray(cfg.axis) ? (cfg.axis as number[]) : [Number(cfg.axis ?? -1)];
  const last = x.layout === 'nchw' ? 3 : 1;
  need(layer, axes.length === 1 && (axes[0] === -1 || axes[0] === last), `normalisation axis ${JSON.stringify(cfg.axis)}; only the channel (last) axis is supported`);
  need(layer, x.layout !== 'flat-chw', 'BatchNormalization on a flattened image; normalise before the Flatten');
  const mean = ctx.weight(layer, 'moving_mean').data;
  const variance = ctx.weight(layer, 'moving_variance').data;
  const gamma = cfg.scale === false ? undefined : ctx.weight(layer, 'gamma').data;
  const beta = cfg.center === false ? undefined : ctx.weight(layer, 'beta').data;
  const eps = Number(cfg.epsilon ?? 1e-3);
  const c = mean.length;
  need(layer, c === x.dims[0], `${c} channels of statistics, the input has ${x.dims[0]}`);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = (gamma ? gamma[i]! : 1) / Math.sqrt(variance[i]! + eps);
    shift[i] = (beta ? beta[i]! : 0) - mean[i]! * scale[i]!;
  }
  const dims = x.layout === 'nchw' ? [c, 1, 1] : [c];
  const scaled = ctx.graph.node('Mul', [x.name, ctx.graph.constant('bn_scale', scale, dims)]);
  return { ...x, name: ctx.graph.node('Add', [scaled, ctx.graph.constant('bn_shift', shift, dims)]) };
};

const flatten: Converter = (x, _layer, ctx) =>
  x.layout === 'nchw' ? { name: ctx.graph.node('Flatten', [x.name], { axis: 1 }), layout: 'flat-chw', dims: x.dims } : x;

const dense: Converter = (x, layer, ctx) => {
  need(layer, x.layout !== 'nchw', 'Dense on an image (rank-4) input; add a Flatten before it');
  const kernel = ctx.weight(layer, 'kernel');
  const [inputs, units] = kernel.shape as [number, number];
  const size = x.dims.reduce((a, b) => a * b, 1);
  need(layer, inputs === size, `kernel expects ${inputs} inputs, the input has ${size}`);
  const rows = x.layout === 'flat-chw' ? chwRows(kernel, x.dims) : kernel.data;
  const args = [x.name, ctx.graph.constant('kernel', rows, [inputs, units])];
  if (layer.config.use_bias !== false) args.push(ctx.graph.constant('bias', ctx.weight(layer, 'bias').data, [units]));
  const y = ctx.graph.node('Gemm', args);
  return activation({ name: y, layout: 'flat', dims: [units] }, layer, ctx, layer.config.activation);
};

const rescaling: Converter = (x, layer, ctx) => {
  const scale = Number(layer.config.scale ?? 1);
  const offset = Number(layer.config.offset ?? 0);
  let name = x.name;
  if (scale !== 1) name = ctx.graph.node('Mul', [name, ctx.graph.constant('scale', Float32Array.of(scale), [])]);
  if (offset !== 0) name = ctx.graph.node('Add', [name, ctx.graph.constant('offset', Float32Array.of(offset), [])]);
  return { ...x, name };
};

/** Converters by tfjs layer class. Dropout is the identity at inference time. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Rescaling: rescaling,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  BatchNormalization: batchNormalization,
  MaxPooling2D: maxPooling2d,
  AveragePooling2D: averagePooling2d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Flatten: flatten,
  Dense: dense,
  Dropout: (x) => x,
  Activation: (x, layer, ctx) => activation(x, layer, ctx, layer.config.activation),
};

/** Element-wise sum of same-shaped values (residual connections). */
const add: MergeConverter = (xs, layer, ctx) => {
  const [first, ...rest] = xs;
  for (const x of rest) {
    need(layer, x.layout === first!.layout && x.dims.join() === first!.dims.join(), `inputs of different shapes [${first!.dims.join(', ')}] and [${x.dims.join(', ')}]`);
  }
  let name = first!.name;
  for (const x of rest) name = ctx.graph.node('Add', [name, x.name]);
  return { ...first!, name };
};

/** Converters of layers with several inputs, by tfjs layer class. */
export const MERGE_CONVERTERS: Readonly<Record<string, MergeConverter>> = { Add: add };
