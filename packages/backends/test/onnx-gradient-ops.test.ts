import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../src/onnx/gradient/build-gradient-graph.ts';
import { type GraphWriter } from '../src/onnx/gradient/graph-writer.ts';
import { UnsupportedOperatorError } from '../src/onnx/gradient/unsupported-operator-error.ts';
import { checkGradient, tinyModel } from './onnx-gradient-fixtures.ts';
import { pseudoRandom } from './onnx-fixtures.ts';

const CLASSES = 3;
/**
 * Tolerance on the relative error of the directional-derivative check (see checkGradient):
 * float32 models, h = 1e-3; the cases below measured 4e-4 at worst (grouped, strided, dilated Conv).
 */
const TOLERANCE = 5e-3;

type Body = (w: GraphWriter, x: string) => string;
const weights = (w: GraphWriter, dims: number[], seed: number) => w.floats('w', pseudoRandom(dims.reduce((a, b) => a * b, 1), seed), dims);
const conv = (attrs: Record<string, number | number[]>, wDims: number[]): Body => (w, x) => w.op('Conv', [x, weights(w, wDims, 3), weights(w, [wDims[0]!], 4)], attrs);

/** [name, per-sample input dims, body]: one tiny graph per operator and setting. */
const CASES: [string, number[], Body][] = [
  ['Conv 3x3 pads 1', [2, 6, 6], conv({ pads: [1, 1, 1, 1] }, [4, 2, 3, 3])],
  ['Conv groups 2, strides 2, dilations 2, asymmetric pads', [4, 9, 8], conv({ group: 2, strides: [2, 2], dilations: [2, 2], pads: [1, 0, 2, 1] }, [6, 2, 3, 3])],
  ['Conv depthwise 3x3', [3, 6, 6], conv({ group: 3, pads: [1, 1, 1, 1] }, [3, 1, 3, 3])],
  ['Conv one input channel (ConvTranspose form)', [1, 7, 7], conv({}, [3, 1, 3, 3])],
  ['Conv auto_pad SAME_UPPER stride 2', [2, 7, 7], conv({ strides: [2, 2] }, [2, 2, 2, 2])],
  ['Conv 1-D', [2, 9], conv({ pads: [1, 0] }, [3, 2, 3])],
  ['ConvTranspose stride 2, pads, output_padding', [2, 4, 4], (w, x) => w.op('ConvTranspose', [x, weights(w, [2, 3, 3, 3], 5)], { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0] })],
  ['ConvTranspose groups 2', [4, 3, 3], (w, x) => w.op('ConvTranspose', [x, weights(w, [4, 1, 2, 2], 6), weights(w, [2], 7)], { group: 2 })],
  ['Relu', [8], (w, x) => w.op('Relu', [x])],
  ['LeakyRelu', [8], (w, x) => w.op('LeakyRelu', [x], { alpha: { float: 0.2 } })],
  ['Clip (min, max inputs)', [8], (w, x) => w.op('Clip', [x, w.scalar(-0.3), w.scalar(0.5)])],
  ['Clip as Relu6 (min only on a scaled input)', [8], (w, x) => w.op('Clip', [w.op('Mul', [x, w.scalar(8)]), w.scalar(0), w.scalar(6)])],
  ['Sigmoid', [8], (w, x) => w.op('Sigmoid', [x])],
  ['Tanh', [8], (w, x) => w.op('Tanh', [x])],
  ['MaxPool 2x2 after Relu (fused mask)', [2, 6, 6], (w, x) => w.op('MaxPool', [w.op('Relu', [x])], { kernel_shape: [2, 2], strides: [2, 2] })],
  ['MaxPool 3x3 stride 2 pads 1 (overlapping)', [2, 7, 7], (w, x) => w.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
  ['MaxPool ceil_mode', [1, 7, 7], (w, x) => w.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })],
  ['AveragePool pads, count_include_pad 0', [2, 6, 6], (w, x) => w.op('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
  ['AveragePool count_include_pad 1, ceil_mode', [2, 7, 7], (w, x) => w.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 0, 0], count_include_pad: 1, ceil_mode: 1 })],
  ['GlobalAveragePool', [3, 5, 4], (w, x) => w.op('GlobalAveragePool', [x])],
  ['BatchNormalization', [3, 4, 4], (w, x) => w.op('BatchNormalization', [x, weights(w, [3], 8), weights(w, [3], 9), weights(w, [3], 10), w.floats('var', Float32Array.of(0.5, 1, 2), [3])], { epsilon: { float: 1e-3 } })],
  ['Gemm transB, alpha, beta, bias', [5], (w, x) => w.op('Gemm', [x, weights(w, [4, 5], 11), weights(w, [4], 12)], { transB: 1, alpha: { float: 0.7 }, beta: { float: 1.5 } })],
  ['Gemm with the input as second operand', [5], (w, x) => w.op('Transpose', [w.op('Gemm', [weights(w, [2, 5], 13), x], { transB: 1 })])],
  ['MatMul broadcast, both operands from the input', [4, 3], (w, x) => w.op('MatMul', [x, w.op('Transpose', [x], { perm: [0, 2, 1] })])],
  ['MatMul with a constant', [2, 4], (w, x) => w.op('MatMul', [x, weights(w, [4, 3], 14)])],
  ['Add/Sub broadcast', [3, 2, 2], (w, x) => w.op('Sub', [w.op('Add', [x, weights(w, [3, 1, 1], 15)]), w.op('Relu', [x])])],
  ['Mul/Div broadcast, input in both operands', [3, 2, 2], (w, x) => w.op('Div', [w.op('Mul', [x, weights(w, [2], 16)]), w.op('Add', [w.op('Mul', [x, x]), w.scalar(1)])])],
  ['Reshape, Transpose', [2, 3, 4], (w, x) => w.op('Transpose', [w.op('Reshape', [x, w.int64s('s', [0, 4, -1])])], { perm: [0, 2, 1] })],
  ['Concat (the input twice)', [2, 3, 3], (w, x) => w.op('Concat', [x, w.op('Tanh', [x]), weights(w, [1, 1, 3, 3], 17)].slice(0, 2), { axis: 1 })],
  ['Pad constant', [2, 3, 3], (w, x) => w.op('Pad', [x, w.int64s('pads', [0, 0, 1, 2, 0, 0, 2, 0])])],
  ['Identity, Dropout', [6], (w, x) => w.op('Dropout', [w.op('Identity', [x])])],
  ['Softmax last axis', [6], (w, x) => w.op('Softmax', [x])],
  ['Softmax over channels of an image', [3, 2, 2], (w, x) => w.op('Softmax', [x], { axis: 1 })],
  ['LogSoftmax', [6], (w, x) => w.op('LogSoftmax', [x], { axis: -1 })],
];

describe('ONNX gradient graphs: central finite differences on one tiny graph per operator', () => {
  it.each(CASES)('%s', async (_name, dims, body) => {
    const model = tinyModel(dims, CLASSES, body);
    const { worst, logitsDiff } = await checkGradient(model, dims, CLASSES);
    expect(logitsDiff).toBeLessThan(1e-5);
    expect(worst).toBeLessThan(TOLERANCE);
  });

  it('Softmax of opset 11 (normalised over every axis from its axis on)', async () => {
    const model = tinyModel([2, 3], CLASSES, (w, x) => w.op('Softmax', [x], { axis: 1 }), 11);
    expect((await checkGradient(model, [2, 3], CLASSES)).worst).toBeLessThan(TOLERANCE);
  });
});

/** Positions where two float arrays differ in their bits. */
function bitDifferences(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  const [ua, ub] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  let d = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) d++;
  return d;
}

describe('split gradient graphs: the forward part then the backward part compute what the whole graph does', () => {
  const options = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 } as const;
  it.each(CASES)('%s', async (_name, dims, body) => {
    const model = tinyModel(dims, CLASSES, body);
    const g = buildGradientGraph(model);
    if (typeof g.split === 'string') throw new Error(g.split);
    const [plain, whole, forward, backward] = await Promise.all([model, g.model, g.split.forward, g.split.backward].map((m) => ort.InferenceSession.create(m, options)));
    const n = 3;
    const x = new ort.Tensor('float32', pseudoRandom(n * dims.reduce((a, b) => a * b, 1), 41), [n, ...dims]);
    const seed = new ort.Tensor('float32', pseudoRandom(n * CLASSES, 42), [n, CLASSES]);
    const w = await whole.run({ x, [g.seedName]: seed });
    const f = await forward.run({ x });
    const b = await backward.run({ [g.seedName]: seed, ...Object.fromEntries(g.split.kept.map(({ name }) => [name, f[name]!])) });
    const logits = (await plain.run({ x })).logits!.data as Float32Array;
    expect(bitDifferences(f[g.logitsName]!.data as Float32Array, logits)).toBe(0);
    expect(bitDifferences(b[g.gradientName]!.data as Float32Array, w[g.gradientName]!.data as Float32Array)).toBe(0);
    expect(forward.inputNames).toEqual(['x']);
    await Promise.all([plain, whole, forward, backward].map((s) => s.release()));
  });
});

describe('unsupported operators', () => {
  it('name the operator and the node', () => {
    const model = tinyModel([4], CLASSES, (w, x) => w.op('Floor', [x]));
    let error: unknown;
    try {
      buildGradientGraph(model);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedOperatorError);
    expect(error).toMatchObject({ op: 'Floor', code: 'E_CAPABILITY' });
    expect((error as UnsupportedOperatorError).node).toMatch(/floor/);
    expect((error as Error).message).toMatch(/operator 'Floor' \(node '.*floor.*'\) is not supported/);
  });

  it('refuse settings they cannot differentiate, saying which', () => {
    const model = tinyModel([2, 3, 3], CLASSES, (w, x) => w.op('Pad', [x, w.int64s('pads', [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'reflect' }));
    expect(() => buildGradientGraph(model)).toThrow(/operator 'Pad' .* mode 'reflect'/);
  });

  it('off the path to the logits are no obstacle', async () => {
    // Floor of a constant: nothing of it depends on the input.
    const model = tinyModel([4], CLASSES, (w, x) => w.op('Add', [x, w.op('Floor', [weights(w, [4], 20)])]));
    expect((await checkGradient(model, [4], CLASSES)).worst).toBeLessThan(TOLERANCE);
  });
});
