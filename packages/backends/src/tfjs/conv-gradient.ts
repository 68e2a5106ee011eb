import * as tf from '@tensorflow/tfjs';

type Pad = tf.Conv2DBackpropInputAttrs['pad'];

/**
 * Conv2D gradients for the wasm backend built from forward convolutions, which XNNPACK runs fast:
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (training fails) and a
 * Conv2DBackpropInput about 10x slower than the forward pass. NHWC, any stride and padding,
 * dilation 1 (what Conv2D's gradient asks for). Also the input gradient of depthwise convolutions,
 * which tfjs-backend-wasm 4.22 lacks altogether (MobileNet's input gradients need it).
 */
export function registerWasmConvGradients(): void {
  for (const name of ['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      checkLayout(a.dataFormat);
      return tf.tidy(() =>
        conv2dInputGradient(tensorOf(inputs.dy!), tensorOf(inputs.filter!), a.inputShape, a.strides, a.pad, a.dimRoundingMode),
      );
    },
  });
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      checkLayout(a.dataFormat);
      return tf.tidy(() =>
        conv2dFilterGradient(tensorOf(inputs.x!), tensorOf(inputs.dy!), a.filterShape, a.strides, a.pad, a.dimRoundingMode),
      );
    },
  });
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
      if (pairOf(a.dilations).some((d) => d !== 1)) throw new Error(`wasm depthwise conv gradient: dilations ${String(a.dilations)} are not supported`);
      return tf.tidy(() => depthwiseInputGradient(tensorOf(inputs.dy!), tensorOf(inputs.filter!), a.inputShape, a.strides, a.pad, a.dimRoundingMode));
    },
  });
}

function checkLayout(format: string): void {
  if (format !== 'NHWC') throw new Error(`wasm conv gradient: only NHWC is supported, got ${format}`);
}

function tensorOf(info: tf.TensorInfo): tf.Tensor4D {
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as tf.Tensor4D;
}

function pairOf(v: [number, number] | number): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const padded = tf.pad(x, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return padded;
  const [n, h, w, c] = padded.shape;
  const t = Math.max(0, -top);
  const l = Math.max(0, -left);
  return tf.slice(padded, [0, t, l, 0], [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c]);
}

/** Inserts s - 1 zeros between neighbouring rows (and columns) so a strided conv's dy becomes dense. */
function dilateSpatial(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(dy.reshape([n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.slice(spread.reshape([n, h * sh, w * sw, c]) as tf.Tensor4D, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

/**
 * dy zero-dilated by the strides and padded (or cropped) so that a valid correlation with the
 * flipped filter gives one value per input pixel: the common first half of both input gradients.
 */
function spreadOverInput(
  dy: tf.Tensor4D,
  filterShape: readonly number[],
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  padInfo: { top: number; left: number },
): tf.Tensor4D {
  const [sh, sw] = pairOf(strides);
  const [kh, kw] = filterShape as [number, number];
  const dense = dilateSpatial(dy, sh, sw);
  const top = kh - 1 - padInfo.top;
  const left = kw - 1 - padInfo.left;
  return padOrCrop(dense, top, inputShape[1] + kh - 1 - top - dense.shape[1], left, inputShape[2] + kw - 1 - left - dense.shape[2]);
}

/**
 * dx = valid correlation of the zero-dilated, padded dy with the spatially flipped filter whose
 * in/out channels are swapped.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Pad,
  rounding?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, rounding);
  const padded = spreadOverInput(dy, filter.shape, inputShape, strides, info.padInfo);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(padded, flipped as tf.Tensor4D, 1, 'valid');
}

/**
 * Input gradient of a depthwise convolution (filter [kh, kw, C, M], output channel c * M + m):
 * each output channel's dy, zero-dilated and padded, correlated with its own flipped filter (a
 * depthwise convolution with multiplier 1 over the C * M channels), then the M channels of each
 * input channel summed.
 */
export function depthwiseInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Pad,
  rounding?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const [kh, kw, c, m] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, rounding, true);
  const padded = spreadOverInput(dy, filter.shape, inputShape, strides, info.padInfo);
  const flipped = tf.reverse(filter, [0, 1]).reshape([kh, kw, c * m, 1]) as tf.Tensor4D;
  const perOutput = tf.depthwiseConv2d(padded, flipped, 1, 'valid');
  if (m === 1) return perOutput;
  const [n, h, w] = perOutput.shape;
  return tf.sum(perOutput.reshape([n, h, w, c, m]), 4) as tf.Tensor4D;
}

/**
 * dW[kh, kw, ci, co] = sum over n, i, j of xpad[n, i*s + kh, j*s + kw, ci] * dy[n, i, j, co]: a
 * valid correlation of x (channels as batch, batch as channels) with dy as a filter dilated by the
 * stride.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Pad,
  rounding?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const [sh, sw] = pairOf(strides);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, rounding);
  const [kh, kw] = filterShape;
  const [, oh, ow] = dy.shape;
  const needH = (oh - 1) * sh + kh;
  const needW = (ow - 1) * sw + kw;
  const { top, left } = info.padInfo;
  const xp = padOrCrop(x, top, needH - top - x.shape[1], left, needW - left - x.shape[2]);
  const out = tf.conv2d(
    tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D,
    tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D,
    1,
    'valid',
    'NHWC',
    [sh, sw],
  );
  return tf.transpose(out, [1, 2, 0, 3]);
}
