import onnxProto from 'onnx-proto';
import { ModelLoadError } from '@mixnsqueeze/core';
import { type BackwardContext } from './backward-rule.ts';
import { GraphWriter } from './graph-writer.ts';
import { Attributes, type NodeProto, type TensorProto, constantNodeTensor, num, tensorDims, tensorValues } from './onnx-ir.ts';
import { BACKWARD_RULES, NON_DIFFERENTIABLE } from './rules/index.ts';
import { type Dim, type Shape, inferShape } from './shapes.ts';
import { type SplitGradientGraph, splitGradientGraph } from './split-gradient-graph.ts';
import { UnsupportedOperatorError } from './unsupported-operator-error.ts';

const { onnx } = onnxProto;

/** Name of the gradient graph's extra input: the seed g for the logits. */
export const SEED_INPUT = 'mns_dlogits';
/** Name of the gradient graph's extra output: g^T dlogits/dx. */
export const GRADIENT_OUTPUT = 'mns_dinput';

/** A gradient graph and what a runner needs to feed it. */
export interface GradientGraph {
  /** The encoded ModelProto: inputs (x, seed), outputs (logits, input gradient). */
  readonly model: Uint8Array;
  /** The model's input x. */
  readonly inputName: string;
  /** The seed g, shaped like the logits. */
  readonly seedName: string;
  /** The model's logits output. */
  readonly logitsName: string;
  /** The input gradient, shaped like x. */
  readonly gradientName: string;
  /** Operators differentiated, by type (for reports). */
  readonly ops: Readonly<Record<string, number>>;
  /**
   * The same graph cut into a forward and a backward part (./split-gradient-graph.ts), or why it
   * could not be cut.
   */
  readonly split: SplitGradientGraph | string;
}

/** Options of {@link buildGradientGraph}. */
export interface GradientGraphOptions {
  /** Per-sample input dims in the model's order, where the model's own are symbolic. */
  readonly inputDims?: readonly number[];
}

/** Largest constant read into JS (shapes, pads, axes): weights are never needed as numbers. */
const SMALL = 64;

/**
 * Builds, from an ONNX classifier, a graph of plain forward ONNX operators that takes the model's
 * input x and a seed g for its (first) output and returns the logits and the vector-Jacobian
 * product g^T dlogits/dx. The forward nodes are copied unchanged; the backward of each node on
 * the path from x to the logits is emitted in reverse order by its operator's rule (./rules), and
 * gradients reaching a value along several paths are summed. Throws `UnsupportedOperatorError`
 * naming the first operator on that path without a rule, `ModelLoadError` for graphs a classifier
 * cannot drive (no graph, several inputs).
 */
export function buildGradientGraph(modelBytes: Uint8Array, options: GradientGraphOptions = {}): GradientGraph {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph;
  if (!graph) throw new ModelLoadError('onnx gradients: the ModelProto has no graph.');
  const sourceOpset = num(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (sourceOpset < 11) throw new ModelLoadError(`onnx gradients: opset ${sourceOpset} is older than 11; re-export the model with opset 13 or later.`);
  // From 13 to 16 nothing a classifier uses changed meaning; 16 adds ScatterElements' reduction.
  const opset = sourceOpset >= 13 ? Math.max(sourceOpset, 16) : sourceOpset;

  const nodes = graph.node ?? [];
  const outputs = graph.output ?? [];
  const initializerList = graph.initializer ?? [];
  const initializers = new Map<string, TensorProto>(initializerList.map((t) => [t.name!, t]));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name!));
  if (inputs.length !== 1) throw new ModelLoadError(`onnx gradients: expected one model input, got ${inputs.length}.`);
  const input = inputs[0]!;
  const x = input.name!;
  const logits = outputs[0]?.name;
  if (!logits) throw new ModelLoadError('onnx gradients: the model has no output.');

  const constants = new Map<string, TensorProto>(initializers);
  for (const n of nodes) {
    const t = n.opType === 'Constant' && (!n.domain || n.domain === 'ai.onnx') ? constantNodeTensor(n) : undefined;
    if (t) constants.set(n.output![0]!, t);
  }
  const constant = (name: string): number[] | undefined => {
    const t = constants.get(name);
    return t && tensorDims(t).reduce((a, b) => a * b, 1) <= SMALL ? tensorValues(t) : undefined;
  };

  // Forward pass: static shapes, which values depend on x, who produces and consumes what.
  const shapes = new Map<string, Shape>();
  for (const [name, t] of constants) shapes.set(name, tensorDims(t));
  const declared = (input.type?.tensorType?.shape?.dim ?? []).map((d, i): Dim | undefined =>
    d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : i === 0 ? 'N' : options.inputDims?.[i - 1],
  );
  shapes.set(x, declared.every((d) => d !== undefined) ? (declared as Dim[]) : undefined);
  const needs = new Set<string>([x]);
  const producers = new Map<string, NodeProto>();
  const consumers = new Map<string, number>();
  for (const o of outputs) consumers.set(o.name!, 1);
  for (const n of nodes) {
    for (const i of n.input ?? []) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
    for (const o of n.output ?? []) if (o) producers.set(o, n);
    if (!shapes.has(n.output![0]!)) shapes.set(n.output![0]!, inferShape(n, (n.input ?? []).map((i) => shapes.get(i)), constant));
    if (!NON_DIFFERENTIABLE.has(n.opType!) && (n.input ?? []).some((i) => needs.has(i))) needs.add(n.output![0]!);
  }

  const w = new GraphWriter(opset, [...producers.keys(), ...initializers.keys(), x, SEED_INPUT, GRADIENT_OUTPUT]);
  // Forward nodes are copied (shallowly) so that rules can add outputs to them.
  const forward = nodes.map((n) => ({ ...n, output: [...(n.output ?? [])] }) as NodeProto);
  const copyOf = new Map(nodes.map((n, i) => [n, forward[i]!]));
  const grads = new Map<string, string[]>([[logits, [SEED_INPUT]]]);
  const claimed = new Set<NodeProto>();
  const ops: Record<string, number> = {};
  const summed = (name: string): string | undefined => {
    const parts = grads.get(name);
    return !parts ? undefined : parts.length === 1 ? parts[0] : w.op('Sum', parts);
  };

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (claimed.has(node) || !(node.input ?? []).some((i) => needs.has(i))) continue;
    const grad = summed(node.output![0]!);
    if (!grad) continue;
    const where = node.name || node.output![0]!;
    const domain = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.` : '';
    const rule = domain ? undefined : BACKWARD_RULES[node.opType!];
    if (!rule) throw new UnsupportedOperatorError(`${domain}${node.opType}`, where);
    const copy = copyOf.get(node)!;
    const ctx: BackwardContext = {
      w,
      node,
      attrs: new Attributes(node),
      grad,
      input: (i) => node.input?.[i] ?? '',
      output: (i) => (copy.output![i] ||= w.fresh(`${node.opType!.toLowerCase()}_out${i}`)),
      requireShape: (name) => shapes.get(name) ?? ctx.fail(`the shape of '${name}' is not known statically`),
      constant,
      needsGrad: (name) => needs.has(name),
      producer: (name) => {
        const p = producers.get(name);
        return p && { node: p, consumers: consumers.get(name) ?? 0 };
      },
      claim: (n) => claimed.add(n),
      give: (name, g) => grads.set(name, [...(grads.get(name) ?? []), g]),
      fail: (why) => {
        throw new UnsupportedOperatorError(node.opType!, where, why);
      },
    };
    rule(ctx);
    ops[node.opType!] = (ops[node.opType!] ?? 0) + 1;
  }

  const dx = summed(x) ?? w.op('ConstantOfShape', [w.op('Shape', [x])]);
  w.nodes.push({ opType: 'Identity', name: `${GRADIENT_OUTPUT}_node`, input: [dx], output: [GRADIENT_OUTPUT] });
  const logitsInfo = outputs[0]!;
  const encode = (g: onnxProto.onnx.IGraphProto, what: string) =>
    onnx.ModelProto.encode({
      irVersion: Math.max(num(model.irVersion), 8),
      producerName: 'mixnsqueeze-gradient',
      producerVersion: '0.1.0',
      docString: `Input gradient of ${model.producerName || 'an ONNX model'}: ${what}.`,
      opsetImport: [...model.opsetImport.filter((o) => o.domain && o.domain !== 'ai.onnx'), { domain: '', version: opset }],
      graph: { ...g, name: `${graph.name || 'model'}_gradient${g.name ? `_${g.name}` : ''}` },
    }).finish();
  const seedInfo = { ...logitsInfo, name: SEED_INPUT };
  const gradientInfo = { ...input, name: GRADIENT_OUTPUT };
  const encoded = encode(
    {
      node: [...forward, ...w.nodes],
      initializer: [...initializerList, ...w.initializers],
      input: [input, seedInfo],
      output: [logitsInfo, gradientInfo],
    },
    `outputs ${logits} and ${GRADIENT_OUTPUT} = ${SEED_INPUT}^T d${logits}/d${x}`,
  );
  let split: SplitGradientGraph | string;
  try {
    split = splitGradientGraph({
      forward,
      backward: w.nodes,
      initializers: [...initializerList, ...w.initializers],
      input,
      seed: seedInfo,
      logits: logitsInfo,
      gradient: gradientInfo,
      shapes,
      differentiable: needs,
      encode,
    });
  } catch (e) {
    split = `the gradient graph cannot be split: ${(e as Error).message}`;
  }
  return { model: encoded, inputName: x, seedName: SEED_INPUT, logitsName: logits, gradientName: GRADIENT_OUTPUT, ops, split };
}
