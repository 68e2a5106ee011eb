import onnxProto from 'onnx-proto';
import { type NodeProto, type TensorProto } from './onnx-ir.ts';
import { type Shape, broadcast } from './shapes.ts';

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
  /** Values that cross from the forward part to the backward part (by the same name in both). */
  readonly kept: readonly KeptTensor[];
  /** Bytes kept per sample between the passes, where every kept shape is static but the batch axis. */
  readonly keptBytesPerSample: number | undefined;
}

/** A value kept between the parts: its name, element type and dims ('N' the batch axis), where static inference knows them. */
export interface KeptTensor {
  readonly name: string;
  readonly type: 'float32' | 'int64' | 'bool';
  readonly dims?: readonly (number | 'N')[];
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
 * Operators with boolean outputs (ReLU and clip masks): computed in the forward part, so that a
 * byte per element is kept instead of the float activation they compare.
 */
const BOOLEAN_OPS = new Set(['Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor']);

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

  // Placement of the x-dependent backward nodes that need no seed. The backward list is in
  // topological order: a reverse pass sees every consumer of a node before the node.
  const consumers = new Map<string, NodeProto[]>();
  for (const n of all) for (const i of inputsOf(n)) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const inForward = new Set<NodeProto>(parts.forward.filter((n) => nodeClass(n) !== 'constant'));
  for (let k = parts.backward.length - 1; k >= 0; k--) {
    const n = parts.backward[k]!;
    if (nodeClass(n) !== 'data') continue;
    const users = (n.output ?? []).flatMap((o) => (o ? (consumers.get(o) ?? []) : []));
    const isOutput = (n.output ?? []).includes(parts.gradient.name!);
    if (SHAPE_OPS.has(n.opType!) || BOOLEAN_OPS.has(n.opType!) || (!isOutput && users.length > 0 && users.every((u) => inForward.has(u)))) inForward.add(n);
  }
  // ... where every input is there: a node that reads a value of the backward part goes there too.
  const placedBackward = (v: string) => {
    const p = producer.get(v)?.node;
    return !!p && !constant.has(v) && !inForward.has(p);
  };
  for (const n of parts.backward) if (inForward.has(n) && inputsOf(n).some(placedBackward)) inForward.delete(n);
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

  const shapeOf = (v: string): Shape => {
    const known = parts.shapes.get(v);
    if (known) return known;
    const t = parts.initializers.find((i) => i.name === v);
    if (t) return (t.dims ?? []).map(Number);
    const p = producer.get(v);
    if (!p || !BOOLEAN_OPS.has(p.node.opType!)) return undefined;
    const ins = inputsOf(p.node).map(shapeOf);
    return ins.every((d) => d !== undefined) ? ins.reduce((a, b) => broadcast(a!, b!)) : undefined;
  };
  const tensors = crossing.map((v, k) => keptTensor(parts, v, kept[k]!, producer.get(v), isForward, shapeOf));
  const infos = tensors.map(valueInfo);
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
  return { forward, backward, kept: tensors, keptBytesPerSample: bytesPerSample(tensors) };
}

/**
 * Type and shape of a crossing value: x, a differentiable forward value, MaxPool's indices, a
 * shape, a mask.
 */
function keptTensor(
  parts: GradientGraphParts,
  value: string,
  name: string,
  producer: { node: NodeProto; index: number } | undefined,
  isForward: ReadonlySet<NodeProto>,
  shapeOf: (v: string) => Shape,
): KeptTensor {
  const tensor = (type: KeptTensor['type'], dims: Shape): KeptTensor => (dims ? { name, type, dims } : { name, type });
  const op = producer?.node.opType;
  if (value === parts.input.name) return tensor('float32', shapeOf(value));
  if (producer && isForward.has(producer.node) && op === 'MaxPool' && producer.index === 1) return tensor('int64', shapeOf(producer.node.output![0]!));
  if (op === 'Shape') {
    const of = shapeOf(producer!.node.input![0]!);
    const whole = attrInt(producer!.node, 'start') === undefined && attrInt(producer!.node, 'end') === undefined;
    return tensor('int64', of && whole ? [of.length] : undefined);
  }
  if (op === 'Size') return tensor('int64', []);
  if (op && BOOLEAN_OPS.has(op)) return tensor('bool', shapeOf(value));
  if (producer && producer.index === 0 && parts.differentiable.has(value)) return tensor('float32', shapeOf(value));
  throw new Error(`cannot tell the element type of '${value}' (output ${producer?.index ?? '?'} of a ${op ?? 'graph input'} node) kept between the passes`);
}

const ELEM_TYPES = { float32: DataType.FLOAT, int64: DataType.INT64, bool: DataType.BOOL } as const;
/** Bytes per element of each kept type. */
export const KEPT_TYPE_BYTES = { float32: 4, int64: 8, bool: 1 } as const;

function valueInfo(t: KeptTensor): ValueInfo {
  const shape = t.dims ? { shape: { dim: t.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {};
  return { name: t.name, type: { tensorType: { elemType: ELEM_TYPES[t.type], ...shape } } };
}

function attrInt(node: NodeProto, name: string): number | undefined {
  const a = (node.attribute ?? []).find((t) => t.name === name);
  return a ? Number(a.i) : undefined;
}

/** Bytes kept per sample: the elements of each kept tensor past its batch axis (shapes and scalars: none). */
function bytesPerSample(tensors: readonly KeptTensor[]): number | undefined {
  let total = 0;
  for (const t of tensors) {
    if (!t.dims) return undefined;
    if (t.dims.length < 2) continue;
    let size = KEPT_TYPE_BYTES[t.type];
    for (const d of t.dims.slice(1)) {
      if (typeof d !== 'number') return undefined;
      size *= d;
    }
    total += size;
  }
  return total;
}
