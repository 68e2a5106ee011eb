import { type GraphWriter } from './graph-writer.ts';
import { type Attributes, type NodeProto } from './onnx-ir.ts';
import { type Dim } from './shapes.ts';

/** What a backward rule sees of one forward node and of the graph around it. */
export interface BackwardContext {
  readonly w: GraphWriter;
  readonly node: NodeProto;
  readonly attrs: Attributes;
  /** Gradient of the node's outputs (only the first, for every operator supported so far). */
  readonly grad: string;
  /** The node's i-th input name ('' when absent). */
  input(i: number): string;
  /** The node's i-th output, added to the forward node when the rule needs it (MaxPool's Indices). */
  output(i: number): string;
  /** Static shape of a value, or an UnsupportedOperatorError saying the rule needs it. */
  requireShape(name: string): readonly Dim[];
  /** Values of a small constant (initializer or Constant node), else undefined. */
  constant(name: string): number[] | undefined;
  /** Whether a value depends on the model input (and so needs a gradient). */
  needsGrad(name: string): boolean;
  /** The node producing a value, with how many nodes consume it, for fusions across two nodes. */
  producer(name: string): { readonly node: NodeProto; readonly consumers: number } | undefined;
  /** Marks a producer node as already differentiated by this rule (a fusion). */
  claim(node: NodeProto): void;
  /** Adds a gradient contribution to a value (contributions of several consumers are summed). */
  give(name: string, grad: string): void;
  /** Throws UnsupportedOperatorError for this node with the reason. */
  fail(why: string): never;
}

/** Emits the backward of one forward node: gradients of its inputs from the gradient of its output. */
export type BackwardRule = (ctx: BackwardContext) => void;

/** Gives the gradient to input i when it depends on the model input. */
export function giveIfNeeded(ctx: BackwardContext, i: number, grad: () => string): void {
  const name = ctx.input(i);
  if (name && ctx.needsGrad(name)) ctx.give(name, grad());
}

/** Rules that need no gradient of some inputs (weights, shapes) refuse input-dependent ones. */
export function constantInputs(ctx: BackwardContext, from: number, what: string): void {
  for (let i = from; i < (ctx.node.input?.length ?? 0); i++) {
    const name = ctx.input(i);
    if (name && ctx.needsGrad(name)) ctx.fail(`its ${what} (input ${i}, '${name}') depends on the model input`);
  }
}
