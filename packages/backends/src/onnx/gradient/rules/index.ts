import { type BackwardRule } from '../backward-rule.ts';
import { ACTIVATION_RULES } from './activation.ts';
import { CONV_RULES } from './conv.ts';
import { ELEMENTWISE_RULES } from './elementwise.ts';
import { LINEAR_RULES } from './linear.ts';
import { POOL_RULES } from './pool.ts';
import { SHAPE_RULES } from './shape-ops.ts';

/** Backward rules by ONNX operator type (default domain). */
export const BACKWARD_RULES: Readonly<Record<string, BackwardRule>> = {
  ...ACTIVATION_RULES,
  ...CONV_RULES,
  ...ELEMENTWISE_RULES,
  ...LINEAR_RULES,
  ...POOL_RULES,
  ...SHAPE_RULES,
};

/** Operators whose outputs carry no gradient (shapes, comparisons, indices): they end a gradient path. */
export const NON_DIFFERENTIABLE = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'NonZero', 'IsNaN', 'IsInf']);
