import { type BackwardContext } from '../backward-rule.ts';

/**
 * Sums a gradient of the broadcast result `out` down to the shape of the operand `operand`: over
 * the leading axes the operand lacks and the axes where it has size 1.
 */
export function unbroadcast(ctx: BackwardContext, grad: string, operand: string, out: string): string {
  const target = ctx.requireShape(operand);
  const full = ctx.requireShape(out);
  const lead = full.length - target.length;
  const axes: number[] = [];
  for (let i = 0; i < full.length; i++) if (i < lead || (target[i - lead] === 1 && full[i] !== 1)) axes.push(i);
  if (axes.length === 0) return grad;
  const summed = ctx.w.reduceSum(grad, axes, true);
  if (lead === 0) return summed;
  const dims = target.every((d) => typeof d === 'number') ? ctx.w.int64s('shape', target as number[]) : ctx.w.op('Shape', [operand]);
  return ctx.w.op('Reshape', [summed, dims]);
}
