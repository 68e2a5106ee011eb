import onnxProto from 'onnx-proto';
import { type NodeProto, type TensorProto } from './onnx-ir.ts';
import { type Shape } from './shapes.ts';

const { DataType } = onnxProto.onnx.TensorProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;
type Graph = onnxProto.onnx.IGraphProto;

/**
 * The gradient graph cut in two, for callers whose seed depends on the logits (a loss evaluated
 * between the passes): `forward` runs the model once and returns the logits and the tensors the
 * backward part reads; `backward` takes those and the seed and returns the input gradient. Run
 * one after the other, they compute what the whole graph computes, node for node.
 */
export interface SplitGradientGraph {
  /** Inputs: the model input x. Outputs: the logits, then the `kept` tensors (less the logits). */
  readonly forward: Uint8Array;
  /** Inputs: the seed, then the `kept` tensors. Output: the input gradient. */
  readonly backward: Uint8Array;
  /** Values that cross from the forward part to the backward part, by name (the same in both). */
  readonly kept: readonly string[];
  /** Bytes kept per sample between the passes, where every kept shape is static but the batch axis. */
  readonly keptBytesPerSample: number | undefined;
}

/** The gradient graph as the builder has it, before it is encoded. */
export interface GradientGraphParts {
  /** The copied forward nodes (with any outputs the rules added), in order. */
  readonly forward: readonly NodeProto[];
  /** The backward nodes, in order, ending with the one that writes the gradient output. */
  readonly backward: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  /** Graph input x, the seed input, the logits output, the gradient output. */
  readonly input: ValueInfo;
  readonly seed: ValueInfo;
  readonly logits: ValueInfo;
  readonly gradient: ValueInfo;
  /** Static shapes of forward values (first outputs), from the builder's inference. */
  readonly shapes: ReadonlyMap<string, Shape>;
  /** Forward values that depend differentiably on x (all float, as x is). */
  readonly differentiable: ReadonlySet<string>;
  /** Encodes a graph as a ModelProto with the gradient graph's opset and IR version. */
  readonly encode: (graph: Graph, what: string) => Uint8Array;
}

/** Name under which x itself is kept, when the backward part reads it (an Identity copies it). */
const KEPT_INPUT = 'mns_kept_input';
/** Operators whose (small) outputs describe shapes: computed in the forward part when the backward part needs them. */
const SHAPE_OPS = new Set(['Shape', 'Size']);

/**
 * Cuts the gradient graph between its forward and backward nodes. Every node is computed exactly
 * as in the whole graph, in one of the parts:
 * - forward nodes, and backward nodes that need no seed and only feed `Shape`/`Size` (so that the
 *   forward part keeps a shape, not the tensor it was taken of), go to the forward part;
 * - the rest of the backward nodes (everything that reads the seed, and seed-free ones such as
 *   ReLU masks that read activations) go to the backward part;
 * - nodes computed from initializers and constants only are copied into each part that reads
 *   them (ORT folds them at load, as in the whole graph).
 * Values that depend on x and cross the cut are the forward part's extra outputs and the
 * backward part's extra inputs. Throws when the element type of a crossing value cannot be told
 * (the caller then uses the whole graph only).
 */
export function splitGradientGraph(parts: GradientGraphParts): SplitGradientGraph {
  const x = parts.input.name!;
  const seed = parts.seed.name!;
  const logits = parts.logits.name!;
  const all = [...parts.forward, ...parts.backward];
  const isForward = new Set<NodeProto>(parts.forward);
  const producer = new Map<string, { node: NodeProto; index: number }>();
  for (const n of all) (n.output ?? []).forEach((o, index) => o && producer.set(o, { node: n, index }));
  const inputsOf = (n: NodeProto) => (n.input ?? []).filter((i) => i);

  // Classes of values: constant (initializers and what is computed from them), seeded, data (x-dependent, no seed).
  const constant = new Set<string>(parts.initializers.map((t) => t.name!));
  const seeded = new Set<string>([seed]);
  for (const n of all) {
    const ins = inputsOf(n);
    const outs = (n.output ?? []).filter((o) => o);
    if (ins.some((i) => seeded.has(i))) outs.forEach((o) => seeded.add(o));
    else if (ins.every((i) => constant.has(i))) outs.forEach((o) => constant.add(o));
  }
  const nodeClass = (n: NodeProto): 'constant' | 'seeded' | 'data' => {
    const o = (n.output ?? []).find((v) => v);
    return o && constant.has(o) ? 'constant' : o && seeded.has(o) ? 'seeded' : 'data';
  };

  // Placement of the x-dependent nodes; the backward list is in topological order, so a reverse
  // pass sees every consumer of a node before the node.
  const consumers = new Map<string, NodeProto[]>();
  for (const n of all) for (const i of inputsOf(n)) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const inForward = new Set<NodeProto>(parts.forward.filter((n) => nodeClass(n) !== 'constant'));
  for (let k = parts.backward.length - 1; k >= 0; k--) {
    const n = parts.backward[k]!;
    if (nodeClass(n) !== 'data') continue;
    const users = (n.output ?? []).flatMap((o) => (o ? (consumers.get(o) ?? []) : []));
    const isOutput = (n.output ?? []).includes(parts.gradient.name!);
    if (SHAPE_OPS.has(n.opType!) || (!isOutput && users.length > 0 && users.every((u) => inForward.has(u)))) inForward.add(n);
  }
  const inBackward = new Set<NodeProto>(parts.backward.filter((n) => !inForward.has(n) && nodeClass(n) !== 'constant'));

  // Constant subgraphs: copied into each part that reads them.
  const withConstants = (placed: Set<NodeProto>): Set<NodeProto> => {
    const out = new Set(placed);
    const stack = [...placed];
    while (stack.length > 0) {
      for (const i of inputsOf(stack.pop()!)) {
        const p = producer.get(i)?.node;
        if (p && constant.has(i) && !out.has(p)) {
          out.add(p);
          stack.push(p);
        }
      }
    }
    return out;
  };
  const forwardNodes = withConstants(new Set([...inForward, ...parts.forward]));
  const backwardNodes = withConstants(inBackward);

  // Values crossing the cut, in the order the backward part first reads them.
  const crossing: string[] = [];
  for (const n of all) {
    if (!backwardNodes.has(n)) continue;
    for (const i of inputsOf(n)) {
      if (i === seed || constant.has(i) || crossing.includes(i)) continue;
      const p = producer.get(i);
      if (i === x || (p && forwardNodes.has(p.node) && !backwardNodes.has(p.node))) crossing.push(i);
    }
  }
  const kept = crossing.map((v) => (v === x ? KEPT_INPUT : v));
  const rename = (n: NodeProto): NodeProto => (inputsOf(n).includes(x) ? { ...n, input: (n.input ?? []).map((i) => (i === x ? KEPT_INPUT : i)) } : n);

  const infos = crossing.map((v, k) => keptInfo(parts, v, kept[k]!, producer.get(v), isForward));
  const ordered = (set: Set<NodeProto>) => all.filter((n) => set.has(n));
  const initializersOf = (nodes: readonly NodeProto[]) => {
    const used = new Set(nodes.flatMap(inputsOf));
    return parts.initializers.filter((t) => used.has(t.name!));
  };

  const forwardList = ordered(forwardNodes);
  if (crossing.includes(x)) forwardList.push({ opType: 'Identity', name: `${KEPT_INPUT}_node`, input: [x], output: [KEPT_INPUT] });
  const backwardList = ordered(backwardNodes).map(rename);
  const forward = parts.encode(
    {
      name: 'forward',
      node: forwardList,
      initializer: initializersOf(forwardList),
      input: [parts.input],
      output: [parts.logits, ...infos.filter((i) => i.name !== logits)],
    },
    'forward part: logits and the tensors its backward part reads',
  );
  const backward = parts.encode(
    {
      name: 'backward',
      node: backwardList,
      initializer: initializersOf(backwardList),
      input: [parts.seed, ...infos],
      output: [parts.gradient],
    },
    'backward part: the input gradient from the seed and the tensors its forward part kept',
  );
  return { forward, backward, kept, keptBytesPerSample: bytesPerSample(infos) };
}

/** Type and shape of a crossing value: x, a differentiable forward value, MaxPool's indices, a shape. */
function keptInfo(
  parts: GradientGraphParts,
  value: string,
  name: string,
  producer: { node: NodeProto; index: number } | undefined,
  isForward: ReadonlySet<NodeProto>,
): ValueInfo {
  const float = parts.input.type?.tensorType?.elemType ?? DataType.FLOAT;
  const tensor = (elemType: number, shape: Shape) => ({
    name,
    type: { tensorType: { elemType, ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) } },
  });
  if (value === parts.input.name) return { ...parts.input, name };
  const op = producer?.node.opType;
  if (producer && isForward.has(producer.node) && op === 'MaxPool' && producer.index === 1) {
    return tensor(DataType.INT64, parts.shapes.get(producer.node.output![0]!));
  }
  if (op === 'Shape') {
    const of = parts.shapes.get(producer!.node.input![0]!);
    const start = attrInt(producer!.node, 'start');
    const end = attrInt(producer!.node, 'end');
    return tensor(DataType.INT64, of && start === undefined && end === undefined ? [of.length] : undefined);
  }
  if (op === 'Size') return tensor(DataType.INT64, []);
  if (producer && producer.index === 0 && parts.differentiable.has(value)) return tensor(float, parts.shapes.get(value));
  throw new Error(`cannot tell the element type of '${value}' (output ${producer?.index ?? '?'} of a ${op ?? 'graph input'} node) kept between the passes`);
}

function attrInt(node: NodeProto, name: string): number | undefined {
  const a = (node.attribute ?? []).find((t) => t.name === name);
  return a ? Number(a.i) : undefined;
}

function bytesPerSample(infos: readonly ValueInfo[]): number | undefined {
  let total = 0;
  for (const info of infos) {
    const t = info.type!.tensorType!;
    const dims = t.shape?.dim;
    if (!dims) return undefined;
    let size = t.elemType === DataType.INT64 ? 8 : 4;
    for (let i = 1; i < dims.length; i++) {
      const d = dims[i]!.dimValue;
      if (d == null) return undefined;
      size *= Number(d);
    }
    // Shapes and scalars (rank 0 or 1) cost nothing per sample.
    total += dims.length > 1 ? size : 0;
  }
  return total;
}
