import { type BackwardContext, type BackwardRule } from '../backward-rule.ts';
import { unbroadcast } from './unbroadcast.ts';

/** Gives operand i the gradient `local()` (of the broadcast output), summed down to its shape. */
function toOperand(ctx: BackwardContext, i: number, local: () => string): void {
  const name = ctx.input(i);
  if (name && ctx.needsGrad(name)) ctx.give(name, unbroadcast(ctx, local(), name, ctx.output(0)));
}

const add: BackwardRule = (ctx) => {
  toOperand(ctx, 0, () => ctx.grad);
  toOperand(ctx, 1, () => ctx.grad);
};

const sub: BackwardRule = (ctx) => {
  toOperand(ctx, 0, () => ctx.grad);
  toOperand(ctx, 1, () => ctx.w.op('Neg', [ctx.grad]));
};

const mul: BackwardRule = (ctx) => {
  toOperand(ctx, 0, () => ctx.w.op('Mul', [ctx.grad, ctx.input(1)]));
  toOperand(ctx, 1, () => ctx.w.op('Mul', [ctx.grad, ctx.input(0)]));
};

/** y = a / b: da = g / b, db = -g y / b. */
const div: BackwardRule = (ctx) => {
  const { w } = ctx;
  toOperand(ctx, 0, () => w.op('Div', [ctx.grad, ctx.input(1)]));
  toOperand(ctx, 1, () => w.op('Neg', [w.op('Div', [w.op('Mul', [ctx.grad, ctx.output(0)]), ctx.input(1)])]));
};

export const ELEMENTWISE_RULES: Record<string, BackwardRule> = { Add: add, Sub: sub, Mul: mul, Div: div };
