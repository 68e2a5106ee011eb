import { type BackwardRule, constantInputs, giveIfNeeded } from '../backward-rule.ts';
import { padsOf } from '../shapes.ts';

/** Reshape and Flatten move no values: the gradient is reshaped back to the input's run-time shape. */
const reshape: BackwardRule = (ctx) => {
  constantInputs(ctx, 1, 'target shape');
  giveIfNeeded(ctx, 0, () => ctx.w.op('Reshape', [ctx.grad, ctx.w.op('Shape', [ctx.input(0)])]));
};

const transpose: BackwardRule = (ctx) => {
  const perm = ctx.attrs.ints('perm') ?? ctx.requireShape(ctx.input(0)).map((_, i, s) => s.length - 1 - i);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  giveIfNeeded(ctx, 0, () => ctx.w.op('Transpose', [ctx.grad], { perm: inverse }));
};

/** The gradient is split back into the parts along the concatenation axis. */
const concat: BackwardRule = (ctx) => {
  const inputs = ctx.node.input ?? [];
  const rank = ctx.requireShape(inputs[0]!).length;
  const a = ctx.attrs.int('axis', 0);
  const axis = a < 0 ? a + rank : a;
  const sizes = inputs.map((name) => ctx.requireShape(name)[axis]!);
  if (sizes.some((s) => typeof s !== 'number')) ctx.fail('concatenation along the batch axis');
  const parts = ctx.w.split(ctx.grad, axis, sizes as number[]);
  inputs.forEach((name, i) => {
    if (ctx.needsGrad(name)) ctx.give(name, parts[i]!);
  });
};

/** Constant padding: the gradient is the unpadded window of the output gradient. */
const pad: BackwardRule = (ctx) => {
  const mode = ctx.attrs.string('mode', 'constant');
  if (mode !== 'constant') ctx.fail(`Pad mode '${mode}' (only 'constant' is differentiated)`);
  constantInputs(ctx, 1, 'pads or value');
  const rank = ctx.requireShape(ctx.input(0)).length;
  const pads = padsOf(ctx.node, ctx.attrs, ctx.constant, rank) ?? ctx.fail('its pads are not a constant');
  if (pads.some((p) => p < 0)) ctx.fail('negative pads (cropping)');
  const axes = [...Array(rank).keys()].filter((i) => pads[i] !== 0 || pads[i + rank] !== 0);
  giveIfNeeded(ctx, 0, () =>
    axes.length === 0
      ? ctx.grad
      : ctx.w.slice(
          ctx.grad,
          axes.map((i) => pads[i]!),
          axes.map((i) => (pads[i + rank]! > 0 ? -pads[i + rank]! : Number.MAX_SAFE_INTEGER)),
          axes,
        ),
  );
};

export const SHAPE_RULES: Record<string, BackwardRule> = { Reshape: reshape, Flatten: reshape, Transpose: transpose, Concat: concat, Pad: pad };
