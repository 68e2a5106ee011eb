import { type BackwardContext, type BackwardRule } from '../backward-rule.ts';
import { type WindowAxis, windowAxes } from '../shapes.ts';
import { scatterGeometry } from './window-transpose.ts';

function spatialOf(ctx: BackwardContext, x: string): number[] {
  const s = ctx.requireShape(x).slice(2);
  if (s.some((d) => typeof d !== 'number')) ctx.fail("the input's spatial sizes are not static");
  return s as number[];
}

/**
 * Max pooling routes each output's gradient to the element its window selected: ORT's MaxPool
 * returns those positions (Indices, the first maximum of a tie) and MaxUnpool scatters into them.
 * Overlapping windows can select one element twice, which MaxUnpool would overwrite instead of
 * add, and ceil-mode windows that reach past the input make MaxUnpool refuse the input's shape:
 * those use ScatterElements with reduction 'add' (opset 16). A Relu feeding only this pool
 * is differentiated on the pooled side (relu and max commute), on a tensor a quarter the size.
 */
const maxPool: BackwardRule = (ctx) => {
  const { w, attrs } = ctx;
  if (attrs.int('storage_order', 0) !== 0) ctx.fail('storage_order 1');
  const x = ctx.input(0);
  if (!ctx.needsGrad(x)) return;
  const kernel = attrs.ints('kernel_shape') ?? [];
  const axes = windowAxes(attrs, spatialOf(ctx, x), kernel, attrs.int('ceil_mode', 0) === 1);
  let grad = ctx.grad;
  let target = x;
  const p = ctx.producer(x);
  if (p?.node.opType === 'Relu' && p.consumers === 1 && ctx.needsGrad(p.node.input![0]!)) {
    grad = w.op('Mul', [grad, w.positive(ctx.output(0))]);
    target = p.node.input![0]!;
    ctx.claim(p.node);
  }
  const indices = ctx.output(1);
  const shape = w.op('Shape', [x]);
  const unpoolable = (a: WindowAxis) => a.dilation * (a.kernel - 1) + 1 <= a.stride && (a.out - 1) * a.stride + a.kernel - a.padBegin - a.padEnd <= a.size;
  if (axes.every(unpoolable)) {
    const pads = [...axes.map((a) => a.padBegin), ...axes.map((a) => a.padEnd)];
    ctx.give(target, w.op('MaxUnpool', [grad, indices, shape], { kernel_shape: kernel, strides: axes.map((a) => a.stride), pads }));
    return;
  }
  if (w.opset < 16) ctx.fail('overlapping windows need ScatterElements with reduction (opset >= 16); re-export the model with opset 13 or later');
  const flat = w.int64s('shape', [-1]);
  const zeros = w.op('ConstantOfShape', [w.op('Shape', [w.op('Reshape', [x, flat])])]);
  const summed = w.op('ScatterElements', [zeros, w.op('Reshape', [indices, flat]), w.op('Reshape', [grad, flat])], { axis: 0, reduction: 'add' });
  ctx.give(target, w.op('Reshape', [summed, shape]));
};

/** Elements each output of an average pool divides by, per axis (ORT's count_include_pad rules). */
function divisors(a: WindowAxis, includePad: boolean): number[] {
  return Array.from({ length: a.out }, (_, o) => {
    let start = o * a.stride - a.padBegin;
    let end = Math.min(start + a.kernel, a.size + a.padEnd);
    if (!includePad) {
      start = Math.max(start, 0);
      end = Math.min(end, a.size);
    }
    return end - start;
  });
}

/**
 * Average pooling spreads g / count evenly over each window: a depthwise ConvTranspose with a
 * kernel of ones, after dividing by the per-output count (a constant map when the windows at the
 * borders count fewer elements, a scalar otherwise).
 */
const averagePool: BackwardRule = (ctx) => {
  const { w, attrs } = ctx;
  const x = ctx.input(0);
  if (!ctx.needsGrad(x)) return;
  if ((attrs.ints('dilations') ?? []).some((d) => d !== 1)) ctx.fail('dilated windows');
  const kernel = attrs.ints('kernel_shape') ?? [];
  const c = ctx.requireShape(x)[1];
  const channels = typeof c === 'number' ? c : ctx.fail('the channel count is not static');
  const axes = windowAxes(attrs, spatialOf(ctx, x), kernel, attrs.int('ceil_mode', 0) === 1);
  const perAxis = axes.map((a) => divisors(a, attrs.int('count_include_pad', 0) === 1));
  const size = perAxis.reduce((n, d) => n * d.length, 1);
  const inverse = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let count = 1;
    for (let k = perAxis.length - 1; k >= 0; k--) {
      const d = perAxis[k]!;
      count *= d[rest % d.length]!;
      rest = Math.floor(rest / d.length);
    }
    inverse[i] = 1 / count;
  }
  const uniform = inverse.every((v) => v === inverse[0]);
  const scale = uniform ? w.scalar(inverse[0]!) : w.floats('avgpool_inverse_count', inverse, axes.map((a) => a.out));
  const ones = w.floats('avgpool_ones', new Float32Array(channels * kernel.reduce((a, b) => a * b, 1)).fill(1), [channels, 1, ...kernel]);
  const { pads, outputPadding } = scatterGeometry(axes);
  ctx.give(
    x,
    w.op('ConvTranspose', [w.op('Mul', [ctx.grad, scale]), ones], {
      group: channels,
      strides: axes.map((a) => a.stride),
      pads,
      output_padding: outputPadding,
      kernel_shape: kernel,
    }),
  );
};

/** The mean over all spatial positions: g / (H W) broadcast back over them. */
const globalAveragePool: BackwardRule = (ctx) => {
  const x = ctx.input(0);
  if (!ctx.needsGrad(x)) return;
  const area = spatialOf(ctx, x).reduce((a, b) => a * b, 1);
  ctx.give(x, ctx.w.op('Expand', [ctx.w.op('Mul', [ctx.grad, ctx.w.scalar(1 / area)]), ctx.w.op('Shape', [x])]));
};

export const POOL_RULES: Record<string, BackwardRule> = { MaxPool: maxPool, AveragePool: averagePool, GlobalAveragePool: globalAveragePool };
