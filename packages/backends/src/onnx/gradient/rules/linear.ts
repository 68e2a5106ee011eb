import { type BackwardContext, type BackwardRule, constantInputs, giveIfNeeded } from '../backward-rule.ts';
import { unbroadcast } from './unbroadcast.ts';

/**
 * Y = alpha A' B' + beta C (A' = A or A^T, B' likewise): dA' = alpha g B'^T, dB' = alpha A'^T g,
 * each written as one Gemm whose transposition flags absorb the transposes.
 */
const gemm: BackwardRule = (ctx) => {
  const { w, attrs } = ctx;
  const alpha = { float: attrs.float('alpha', 1) };
  const tA = attrs.int('transA', 0);
  const tB = attrs.int('transB', 0);
  const [a, b] = [ctx.input(0), ctx.input(1)];
  giveIfNeeded(ctx, 0, () => (tA ? w.op('Gemm', [b, ctx.grad], { alpha, transA: tB, transB: 1 }) : w.op('Gemm', [ctx.grad, b], { alpha, transB: 1 - tB })));
  giveIfNeeded(ctx, 1, () => (tB ? w.op('Gemm', [ctx.grad, a], { alpha, transA: 1, transB: tA }) : w.op('Gemm', [a, ctx.grad], { alpha, transA: 1 - tA })));
  giveIfNeeded(ctx, 2, () => {
    const beta = attrs.float('beta', 1);
    const g = unbroadcast(ctx, ctx.grad, ctx.input(2), ctx.output(0));
    return beta === 1 ? g : w.op('Mul', [g, w.scalar(beta)]);
  });
};

/** Swaps the last two axes. */
function swapLast(ctx: BackwardContext, name: string): string {
  const rank = ctx.requireShape(name).length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return ctx.w.op('Transpose', [name], { perm });
}

/** Y = A B (batched, broadcast): dA = g B^T, dB = A^T g, each summed down to its operand's shape. */
const matMul: BackwardRule = (ctx) => {
  const [a, b] = [ctx.input(0), ctx.input(1)];
  if (ctx.requireShape(a).length < 2 || ctx.requireShape(b).length < 2) ctx.fail('a 1-D operand (reshape it to a matrix)');
  giveIfNeeded(ctx, 0, () => unbroadcast(ctx, ctx.w.op('MatMul', [ctx.grad, swapLast(ctx, b)]), a, ctx.output(0)));
  giveIfNeeded(ctx, 1, () => unbroadcast(ctx, ctx.w.op('MatMul', [swapLast(ctx, a), ctx.grad]), b, ctx.output(0)));
};

/**
 * Inference batch normalisation is a per-channel affine map: dx = g * scale / sqrt(var + eps),
 * the factor computed in the graph from the node's own inputs (ORT folds it to a constant).
 */
const batchNorm: BackwardRule = (ctx) => {
  const { w } = ctx;
  if (ctx.attrs.int('training_mode', 0) !== 0 || (ctx.node.output?.filter((o) => o).length ?? 1) > 1) ctx.fail('training mode (export the model for inference)');
  constantInputs(ctx, 1, 'scale, bias, mean or variance');
  const rank = ctx.requireShape(ctx.input(0)).length;
  giveIfNeeded(ctx, 0, () => {
    const eps = ctx.attrs.float('epsilon', 1e-5);
    const factor = w.op('Div', [ctx.input(1), w.op('Sqrt', [w.op('Add', [ctx.input(4), w.scalar(eps)])])]);
    const perChannel = w.op('Reshape', [factor, w.int64s('shape', [-1, ...Array<number>(Math.max(0, rank - 2)).fill(1)])]);
    return w.op('Mul', [ctx.grad, perChannel]);
  });
};

export const LINEAR_RULES: Record<string, BackwardRule> = { Gemm: gemm, MatMul: matMul, BatchNormalization: batchNorm };
