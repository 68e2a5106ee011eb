import { type BackwardContext, type BackwardRule, constantInputs } from '../backward-rule.ts';
import { type WindowAxis, windowAxes } from '../shapes.ts';
import { scatterGeometry } from './window-transpose.ts';

function staticDims(ctx: BackwardContext, name: string, what: string): number[] {
  const s = ctx.requireShape(name);
  if (s.slice(what === 'input' ? 2 : 0).some((d) => typeof d !== 'number')) ctx.fail(`the ${what}'s sizes are not static`);
  return s.map((d) => (typeof d === 'number' ? d : 0));
}

/**
 * Weights of the convolution that computes a stride-1 convolution's input gradient: input and
 * output channels swapped within each group and the kernel flipped in space. Written as graph
 * operators on the weight initializer, which ORT folds into a new initializer at load.
 */
function flippedWeights(ctx: BackwardContext, weight: string, dims: readonly number[], groups: number): string {
  const { w } = ctx;
  const [cout, cinPerGroup, ...kernel] = dims as [number, number, ...number[]];
  const r = kernel.length;
  let swapped: string;
  if (groups === 1) swapped = w.op('Transpose', [weight], { perm: [1, 0, ...kernel.map((_, i) => i + 2)] });
  else {
    const grouped = w.op('Reshape', [weight, w.int64s('shape', [groups, cout / groups, cinPerGroup, ...kernel])]);
    const t = w.op('Transpose', [grouped], { perm: [0, 2, 1, ...kernel.map((_, i) => i + 3)] });
    swapped = w.op('Reshape', [t, w.int64s('shape', [cinPerGroup * groups, cout / groups, ...kernel])]);
  }
  const axes = kernel.map((_, i) => i + 2);
  return w.slice(swapped, Array<number>(r).fill(-1), Array<number>(r).fill(-Number.MAX_SAFE_INTEGER), axes, Array<number>(r).fill(-1));
}

/**
 * Which form computes a convolution's input gradient. Measured with ORT 1.30 on the CPU provider
 * (MNIST CNN gradient graph, batch 100, one thread; docs/onnx.md): a Conv with flipped weights
 * runs in ORT's blocked NCHWc kernels and wins where it applies (stride 1, pads within the
 * kernel), except where the gradient has one channel (a layer with one input channel), which
 * those kernels handle badly and ConvTranspose does about 5x cheaper. With that split the graph
 * ran 1,327 images/s against 1,159 with flipped Conv everywhere and 1,303 with ConvTranspose
 * everywhere (one Xeon core). ConvTranspose is also the only form for strides > 1.
 */
function useFlippedConv(axes: readonly WindowAxis[], inputChannels: number): boolean {
  const fits = axes.every((a) => a.stride === 1 && a.dilation * (a.kernel - 1) >= Math.max(a.padBegin, a.padEnd));
  return fits && inputChannels > 1;
}

/** Y = conv(X, W) + B: dX from the weights, as a flipped-weight Conv or a ConvTranspose. */
const conv: BackwardRule = (ctx) => {
  constantInputs(ctx, 1, 'weights or bias');
  const x = ctx.input(0);
  if (!ctx.needsGrad(x)) return;
  const { w, attrs } = ctx;
  const weight = ctx.input(1);
  const xs = staticDims(ctx, x, 'input');
  const ws = staticDims(ctx, weight, 'weight');
  const groups = attrs.int('group', 1);
  const axes = windowAxes(attrs, xs.slice(2), ws.slice(2));
  const dilations = axes.map((a) => a.dilation);
  if (useFlippedConv(axes, ws[1]! * groups)) {
    const reach = axes.map((a) => a.dilation * (a.kernel - 1));
    const pads = [...axes.map((a, i) => reach[i]! - a.padBegin), ...axes.map((a, i) => reach[i]! - a.padEnd)];
    ctx.give(x, w.op('Conv', [ctx.grad, flippedWeights(ctx, weight, ws, groups)], { dilations, group: groups, pads, kernel_shape: ws.slice(2) }));
    return;
  }
  const { pads, outputPadding } = scatterGeometry(axes);
  ctx.give(
    x,
    w.op('ConvTranspose', [ctx.grad, weight], { strides: axes.map((a) => a.stride), dilations, group: groups, pads, output_padding: outputPadding, kernel_shape: ws.slice(2) }),
  );
};

/** Y = convT(X, W) + B: dX is the convolution with the same weights, strides and pads. */
const convTranspose: BackwardRule = (ctx) => {
  constantInputs(ctx, 1, 'weights or bias');
  const x = ctx.input(0);
  if (!ctx.needsGrad(x)) return;
  const { attrs } = ctx;
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (attrs.has('output_shape') || (autoPad !== 'NOTSET' && autoPad !== 'VALID')) ctx.fail(`auto_pad ${autoPad} or output_shape (export explicit pads)`);
  const ws = staticDims(ctx, ctx.input(1), 'weight');
  const r = ws.length - 2;
  const ones = Array<number>(r).fill(1);
  ctx.give(
    x,
    ctx.w.op('Conv', [ctx.grad, ctx.input(1)], {
      strides: attrs.ints('strides') ?? ones,
      dilations: attrs.ints('dilations') ?? ones,
      group: attrs.int('group', 1),
      pads: autoPad === 'VALID' ? Array<number>(2 * r).fill(0) : (attrs.ints('pads') ?? Array<number>(2 * r).fill(0)),
      kernel_shape: ws.slice(2),
    }),
  );
};

export const CONV_RULES: Record<string, BackwardRule> = { Conv: conv, ConvTranspose: convTranspose };
