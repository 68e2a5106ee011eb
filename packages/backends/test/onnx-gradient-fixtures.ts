import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { buildGradientGraph } from '../src/onnx/gradient/build-gradient-graph.ts';
import { GraphWriter } from '../src/onnx/gradient/graph-writer.ts';
import { tensorValues } from '../src/onnx/gradient/onnx-ir.ts';
import { type Shape, inferShape } from '../src/onnx/gradient/shapes.ts';
import { pseudoRandom } from './onnx-fixtures.ts';

const { onnx } = onnxProto;
const OPTIONS = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

/**
 * A tiny classifier written as ONNX for gradient tests: input `x` of [N, ...dims], whatever
 * `body` builds from it (with a GraphWriter for nodes and constants), then Flatten and a Gemm
 * with fixed random weights down to `classes` logits, so that every graph ends in a seedable
 * [N, classes] output.
 */
export function tinyModel(dims: readonly number[], classes: number, body: (w: GraphWriter, x: string) => string, opset = 13): Uint8Array {
  const w = new GraphWriter(opset, ['x', 'logits']);
  const features = w.op('Flatten', [body(w, 'x')], { axis: 1 });
  const width = featureCount(w, dims, features);
  const weights = w.floats('dense', pseudoRandom(width * classes, 99), [width, classes]);
  const logits = w.op('Gemm', [features, weights]);
  w.nodes.push({ opType: 'Identity', name: 'out', input: [logits], output: ['logits'] });
  return encode(w, opset, dims, classes);
}

function encode(w: GraphWriter, opset: number, dims: readonly number[], outputs: number | (string | number)[]): Uint8Array {
  const info = (name: string, d: readonly (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: d.map((v) => (typeof v === 'string' ? { dimParam: v } : { dimValue: v })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'tiny',
      node: w.nodes,
      initializer: w.initializers,
      input: [info('x', ['N', ...dims])],
      output: [info('logits', typeof outputs === 'number' ? ['N', outputs] : outputs)],
    },
  }).finish();
}

/**
 * Features per sample after the body, from the builder's own static shape inference (a wrong
 * width would make ORT refuse the Gemm, so the fixture cannot silently lie).
 */
function featureCount(w: GraphWriter, dims: readonly number[], features: string): number {
  const shapes = new Map<string, Shape>([['x', ['N', ...dims]]]);
  for (const t of w.initializers) shapes.set(t.name!, (t.dims ?? []).map(Number));
  const constant = (name: string) => {
    const t = w.initializers.find((i) => i.name === name);
    return t ? tensorValues(t) : undefined;
  };
  for (const n of w.nodes) shapes.set(n.output![0]!, inferShape(n, (n.input ?? []).map((i) => shapes.get(i)), constant));
  const s = shapes.get(features);
  if (!s || typeof s[1] !== 'number') throw new Error(`fixture: no static width for ${features}`);
  return s[1];
}

function spacedValues(size: number): Float32Array {
  const keys = pseudoRandom(size, 5);
  const order = [...keys.keys()].sort((a, b) => keys[a]! - keys[b]!);
  const x = new Float32Array(size);
  order.forEach((at, rank) => (x[at] = -1 + (2 * (rank + 0.5)) / size));
  return x;
}

const dims = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

export interface GradientCheck {
  /** max over directions of |<grad, v> - finite difference| / (|finite difference| + scale) */
  readonly worst: number;
  readonly logitsDiff: number;
}

/**
 * Compares the gradient graph's vjp with central finite differences of the model itself along
 * random directions v: <g, f(x + h v)> - <g, f(x - h v)> over 2h against <vjp(x, g), v>, the sums
 * accumulated in float64. The model runs in float32, so h is 1e-3 (rounding error about 1e-4 of
 * the derivative; truncation O(h^2) on smooth parts). The inputs are distinct values evenly spaced
 * over [-1, 1] in a shuffled order, at least 2 / size apart and never 0, so that no max-pool tie
 * or relu kink of the input lies within h of x.
 */
export async function checkGradient(model: Uint8Array, dimsPerSample: readonly number[], classes: number, n = 2, directions = 3): Promise<GradientCheck> {
  const graph = buildGradientGraph(model);
  const forward = await ort.InferenceSession.create(model, OPTIONS);
  const backward = await ort.InferenceSession.create(graph.model, OPTIONS);
  const size = n * dims(dimsPerSample);
  const x = spacedValues(size);
  const g = pseudoRandom(n * classes, 6);
  const shape = [n, ...dimsPerSample];
  const logitsOf = async (v: Float32Array) => (await forward.run({ x: new ort.Tensor('float32', v, shape) })).logits!.data as Float32Array;
  const r = await backward.run({ x: new ort.Tensor('float32', x, shape), [graph.seedName]: new ort.Tensor('float32', g, [n, classes]) });
  const grad = r[graph.gradientName]!.data as Float32Array;
  const both = r.logits!.data as Float32Array;
  const plain = await logitsOf(x);
  let logitsDiff = 0;
  for (let i = 0; i < plain.length; i++) logitsDiff = Math.max(logitsDiff, Math.abs(plain[i]! - both[i]!));
  const h = 1e-3;
  let worst = 0;
  for (let d = 0; d < directions; d++) {
    const v = pseudoRandom(size, 10 + d);
    const plus = new Float32Array(size);
    const minus = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      plus[i] = x[i]! + h * v[i]!;
      minus[i] = x[i]! - h * v[i]!;
    }
    const [lp, lm] = [await logitsOf(plus), await logitsOf(minus)];
    let fd = 0;
    for (let i = 0; i < lp.length; i++) fd += (g[i]! * (lp[i]! - lm[i]!)) / (2 * h);
    let analytic = 0;
    let scale = 0;
    for (let i = 0; i < size; i++) {
      analytic += grad[i]! * v[i]!;
      scale += Math.abs(grad[i]! * v[i]!);
    }
    worst = Math.max(worst, Math.abs(analytic - fd) / (Math.abs(fd) + scale / Math.sqrt(size) + 1e-3));
  }
  await Promise.all([forward.release(), backward.release()]);
  return { worst, logitsDiff };
}
