import * as tf from '@tensorflow/tfjs';
import { depthwiseInputGradient } from './conv-gradient.ts';

/**
 * Replaces the AvgPoolGrad kernel of tfjs's `cpu` or `wasm` backend with one that agrees with
 * their forward pass. tfjs 4.22's forward average pool divides each window by the number of its
 * pixels inside the image (TF's rule), but both backends' gradients divide by the full window
 * size, so with 'same' padding every window that overlaps the padding got a gradient too small by
 * that ratio (a 2x2 stride-2 pool over an odd size: a quarter of the true value on the last row).
 * TensorFlow's own kernel (the `node` backends) is right and left alone.
 */
export function registerAvgPoolGradient(backendName: 'cpu' | 'wasm'): void {
  if (tf.getKernel('AvgPoolGrad', backendName)) tf.unregisterKernel('AvgPoolGrad', backendName);
  tf.registerKernel({
    kernelName: 'AvgPoolGrad',
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as unknown as tf.AvgPoolGradAttrs;
      return tf.tidy(() => avgPoolInputGradient(tensorOf(inputs.dy!), tensorOf(inputs.input!).shape, a.filterSize, a.strides, a.pad));
    },
  });
}

function tensorOf(info: tf.TensorInfo): tf.Tensor4D {
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as tf.Tensor4D;
}

/**
 * dx of an NHWC average pool: dy divided by each window's count of in-image pixels, then spread
 * evenly over the window (a depthwise transposed convolution with a kernel of ones).
 */
export function avgPoolInputGradient(
  dy: tf.Tensor4D,
  inputShape: [number, number, number, number],
  filterSize: [number, number] | number,
  strides: [number, number] | number,
  pad: tf.AvgPoolGradAttrs['pad'],
  rounding?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(inputShape, filterSize, strides, 1, pad, rounding);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, inHeight: h, inWidth: w } = info;
  const inside = (o: number, stride: number, before: number, k: number, size: number) => Math.min(o * stride - before + k, size) - Math.max(o * stride - before, 0);
  const inverse = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) inverse[i * ow + j] = 1 / (inside(i, sh, info.padInfo.top, fh, h) * inside(j, sw, info.padInfo.left, fw, w));
  const scaled = tf.mul(dy, tf.tensor(inverse, [1, oh, ow, 1])) as tf.Tensor4D;
  const channels = inputShape[3];
  return depthwiseInputGradient(scaled, tf.ones([fh, fw, channels, 1]) as tf.Tensor4D, inputShape, strides, pad, rounding);
}
