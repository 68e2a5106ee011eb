import { type BackwardContext, type BackwardRule, giveIfNeeded } from '../backward-rule.ts';
import { FLOAT } from '../graph-writer.ts';

/** y = max(x, 0): the mask is taken on y, so ORT can still fuse the forward Conv + Relu. */
const relu: BackwardRule = (ctx) => giveIfNeeded(ctx, 0, () => ctx.w.op('Mul', [ctx.grad, ctx.w.positive(ctx.output(0))]));

const leakyRelu: BackwardRule = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.01);
  // y > 0 exactly where x > 0 when alpha >= 0; a negative slope flips the sign of y.
  const side = alpha >= 0 ? ctx.output(0) : ctx.input(0);
  giveIfNeeded(ctx, 0, () => ctx.w.op('Where', [ctx.w.op('Greater', [side, ctx.w.scalar(0)]), ctx.grad, ctx.w.op('Mul', [ctx.grad, ctx.w.scalar(alpha)])]));
};

/** Clip (and Relu6): the gradient passes where the output lies strictly inside (min, max). */
const clip: BackwardRule = (ctx) => {
  const w = ctx.w;
  const y = ctx.output(0);
  let lo: string | undefined;
  let hi: string | undefined;
  if (w.opset >= 11) {
    lo = ctx.input(1) || undefined;
    hi = ctx.input(2) || undefined;
    if ((lo && ctx.needsGrad(lo)) || (hi && ctx.needsGrad(hi))) ctx.fail('its bounds depend on the model input');
  } else {
    if (ctx.attrs.has('min')) lo = w.scalar(ctx.attrs.float('min', 0));
    if (ctx.attrs.has('max')) hi = w.scalar(ctx.attrs.float('max', 0));
  }
  const conds = [lo && w.op('Greater', [y, lo]), hi && w.op('Less', [y, hi])].filter((c): c is string => !!c);
  if (conds.length === 0) return giveIfNeeded(ctx, 0, () => ctx.grad);
  const inside = conds.length === 2 ? w.op('And', conds) : conds[0]!;
  giveIfNeeded(ctx, 0, () => w.op('Mul', [ctx.grad, w.op('Cast', [inside], { to: FLOAT })]));
};

/** dy/dx = y (1 - y). */
const sigmoid: BackwardRule = (ctx) => {
  const { w } = ctx;
  const y = ctx.output(0);
  giveIfNeeded(ctx, 0, () => w.op('Mul', [ctx.grad, w.op('Mul', [y, w.op('Sub', [w.scalar(1), y])])]));
};

/** dy/dx = 1 - y^2. */
const tanh: BackwardRule = (ctx) => {
  const { w } = ctx;
  const y = ctx.output(0);
  giveIfNeeded(ctx, 0, () => w.op('Mul', [ctx.grad, w.op('Sub', [w.scalar(1), w.op('Mul', [y, y])])]));
};

/**
 * The axes a (Log)Softmax normalises over: its axis from opset 13, every axis from `axis` on
 * before (the input was coerced to 2-D there).
 */
function softmaxAxes(ctx: BackwardContext): number[] {
  const legacy = ctx.w.opset < 13;
  const axis = ctx.attrs.int('axis', legacy ? 1 : -1);
  if (!legacy && axis < 0) return [axis];
  const rank = ctx.requireShape(ctx.input(0)).length;
  const a = axis < 0 ? axis + rank : axis;
  return legacy ? Array.from({ length: rank - a }, (_, i) => a + i) : [a];
}

/** dx = y * (g - sum(g * y)). */
const softmax: BackwardRule = (ctx) => {
  const { w } = ctx;
  const y = ctx.output(0);
  giveIfNeeded(ctx, 0, () => w.op('Mul', [y, w.op('Sub', [ctx.grad, w.reduceSum(w.op('Mul', [ctx.grad, y]), softmaxAxes(ctx), true)])]));
};

/** dx = g - softmax(x) * sum(g), softmax(x) = exp(y). */
const logSoftmax: BackwardRule = (ctx) => {
  const { w } = ctx;
  giveIfNeeded(ctx, 0, () => w.op('Sub', [ctx.grad, w.op('Mul', [w.op('Exp', [ctx.output(0)]), w.reduceSum(ctx.grad, softmaxAxes(ctx), true)])]));
};

/** Identity, and Dropout at inference (which is the identity). */
const passThrough: BackwardRule = (ctx) => {
  if (ctx.node.opType === 'Dropout') {
    const training = ctx.input(2);
    if (training && ctx.constant(training)?.[0] !== 0) ctx.fail('Dropout in training mode is random; export the model for inference');
  }
  giveIfNeeded(ctx, 0, () => ctx.grad);
};

export const ACTIVATION_RULES: Record<string, BackwardRule> = {
  Relu: relu,
  LeakyRelu: leakyRelu,
  Clip: clip,
  Sigmoid: sigmoid,
  Tanh: tanh,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  Identity: passThrough,
  Dropout: passThrough,
};
