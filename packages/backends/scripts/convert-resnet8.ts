/**
 * Converts MLPerf Tiny's ResNet-8 for CIFAR-10 (Keras 2.4 `.h5`, Apache-2.0) into the zoo entry
 * `cifar10-resnet8`: tfjs (model.json + weights.bin) and ONNX, inputs in [0, 1].
 *
 *   npx tsx packages/backends/scripts/convert-resnet8.ts <pretrainedResnet.h5>
 *
 * The Keras model reads raw 0-255 pixels and ends in a softmax. The conversion folds the x255
 * input scaling into the first convolution (exact: 'same' padding pads with zeros, and 255 * 0 = 0),
 * folds every BatchNormalization into the convolution before it, and drops the softmax so the model
 * returns logits, the project's convention (argmax unchanged). It then checks the converted model
 * against a float64 forward pass of the unfolded Keras graph on the 20 lossless CIFAR-10 test
 * PNGs in test/fixtures and writes those reference probabilities there for the parity test.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '@mixnsqueeze/core';
import { CIFAR10_NAMES } from '../src/data/cifar10-binary.ts';
import { decodePng } from '../src/data/image-files.ts';
import { exportModelJsonToOnnx } from '../src/onnx/export-tfjs.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';

/** sha256 of mlcommons/tiny's pretrainedResnet.h5 (commit 1afd2c9820f795965a6134facd0b4dfae41ef23f). */
const H5_SHA256 = '5f938a8eea605438cc7360aa13c987bc6d7bd0c8d931b2917361ae7ae4eeda2f';
const OUT = fileURLToPath(new URL('../models/cifar10-resnet8/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../test/fixtures/cifar10-test-png/', import.meta.url));

interface KerasLayer {
  readonly class_name: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly inbound_nodes: [string, number, number, unknown][][];
}

interface Tensor64 {
  readonly data: Float64Array;
  readonly shape: number[];
}

function readH5(path: string): { layers: KerasLayer[]; weights: Map<string, Tensor64> } {
  const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (digest !== H5_SHA256) throw new Error(`${path}: sha256 ${digest}, expected ${H5_SHA256} (MLPerf Tiny's pretrainedResnet.h5).`);
  const file = new h5wasm.File(path, 'r');
  try {
    const config = JSON.parse(String(file.attrs['model_config']!.value)) as { class_name: string; config: { layers: KerasLayer[] } };
    const weights = new Map<string, Tensor64>();
    for (const layer of config.config.layers) {
      for (const w of ['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance']) {
        const d = file.get(`model_weights/${layer.name}/${layer.name}/${w}:0`);
        if (d instanceof h5wasm.Dataset) weights.set(`${layer.name}/${w}`, { data: Float64Array.from(d.value as Float32Array), shape: d.shape! });
      }
    }
    return { layers: config.config.layers, weights };
  } finally {
    file.close();
  }
}

const inputsOf = (l: KerasLayer) => (l.inbound_nodes[0] ?? []).map((n) => n[0]);

/** The Keras graph in float64, raw 0-255 NHWC input, unfolded: the reference the conversion must match. */
function kerasForward(layers: KerasLayer[], weights: Map<string, Tensor64>, image: Float64Array): Float64Array {
  const values = new Map<string, Tensor64>();
  const w = (layer: string, name: string) => weights.get(`${layer}/${name}`)!;
  for (const l of layers) {
    const [a, b] = inputsOf(l).map((n) => values.get(n)!);
    const c = l.config;
    let out: Tensor64;
    switch (l.class_name) {
      case 'InputLayer':
        out = { data: image, shape: [32, 32, 3] };
        break;
      case 'Conv2D': {
        const k = w(l.name, 'kernel');
        const bias = w(l.name, 'bias').data;
        const [kh, kw, ci, co] = k.shape as [number, number, number, number];
        const [sh, sw] = c.strides as [number, number];
        const [h, wd] = a!.shape as [number, number];
        const oh = Math.ceil(h / sh);
        const ow = Math.ceil(wd / sw);
        const top = Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2);
        const left = Math.floor(Math.max((ow - 1) * sw + kw - wd, 0) / 2);
        const y = new Float64Array(oh * ow * co);
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let o = 0; o < co; o++) {
              let s = bias[o]!;
              for (let di = 0; di < kh; di++) {
                const r = i * sh + di - top;
                if (r < 0 || r >= h) continue;
                for (let dj = 0; dj < kw; dj++) {
                  const q = j * sw + dj - left;
                  if (q < 0 || q >= wd) continue;
                  for (let ch = 0; ch < ci; ch++) s += a!.data[(r * wd + q) * ci + ch]! * k.data[((di * kw + dj) * ci + ch) * co + o]!;
                }
              }
              y[(i * ow + j) * co + o] = s;
            }
        out = { data: y, shape: [oh, ow, co] };
        break;
      }
      case 'BatchNormalization': {
        const [g, be, m, v] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => w(l.name, n).data);
        const ch = m!.length;
        const eps = Number(c.epsilon);
        out = { data: a!.data.map((x, i) => ((x - m![i % ch]!) / Math.sqrt(v![i % ch]! + eps)) * g![i % ch]! + be![i % ch]!), shape: a!.shape };
        break;
      }
      case 'Activation':
        if (c.activation !== 'relu') throw new Error(`${l.name}: activation ${String(c.activation)}`);
        out = { data: a!.data.map((x) => Math.max(0, x)), shape: a!.shape };
        break;
      case 'Add':
        out = { data: a!.data.map((x, i) => x + b!.data[i]!), shape: a!.shape };
        break;
      case 'AveragePooling2D': {
        const [h, wd, ch] = a!.shape as [number, number, number];
        if (c.padding !== 'valid' || (c.pool_size as number[])[0] !== h || (c.pool_size as number[])[1] !== wd) throw new Error(`${l.name}: expected a global 'valid' pool`);
        const y = new Float64Array(ch);
        for (let p = 0; p < h * wd; p++) for (let k = 0; k < ch; k++) y[k]! += a!.data[p * ch + k]! / (h * wd);
        out = { data: y, shape: [1, 1, ch] };
        break;
      }
      case 'Flatten':
        out = { data: a!.data, shape: [a!.data.length] };
        break;
      case 'Dense': {
        const k = w(l.name, 'kernel');
        const [n, units] = k.shape as [number, number];
        const y = Float64Array.from(w(l.name, 'bias').data);
        for (let i = 0; i < n; i++) for (let u = 0; u < units; u++) y[u]! += a!.data[i]! * k.data[i * units + u]!;
        const max = Math.max(...y);
        const e = y.map((v) => Math.exp(v - max));
        const sum = e.reduce((s, v) => s + v, 0);
        out = { data: e.map((v) => v / sum), shape: [units] };
        break;
      }
      default:
        throw new Error(`${l.name}: layer ${l.class_name} has no reference implementation`);
    }
    values.set(l.name, out);
  }
  return values.get(layers.at(-1)!.name)!.data;
}

/** The tfjs model: BN folded into the convolutions, the input scaling into the first, logits out. */
function buildTfjs(layers: KerasLayer[], weights: Map<string, Tensor64>): tf.LayersModel {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const readers = (name: string) => layers.filter((l) => inputsOf(l).includes(name));
  // A BatchNormalization whose only input is a convolution read by nothing else is folded into it.
  const folded = new Map<string, KerasLayer>();
  for (const l of layers) {
    const [src] = inputsOf(l);
    if (l.class_name === 'BatchNormalization' && byName.get(src!)?.class_name === 'Conv2D' && readers(src!).length === 1) folded.set(src!, l);
  }
  const alias = new Map([...folded].map(([conv, bn]) => [bn.name, conv]));
  const input = layers.find((l) => l.class_name === 'InputLayer')!;
  if (readers(input.name).some((l) => l.class_name !== 'Conv2D')) throw new Error('the input feeds a non-convolution: the x255 scaling cannot be folded');
  const tensors = new Map<string, tf.SymbolicTensor>();
  const assignments: [tf.layers.Layer, tf.Tensor[]][] = [];
  for (const l of layers) {
    if (alias.has(l.name)) continue;
    const ins = inputsOf(l).map((n) => tensors.get(alias.get(n) ?? n)!);
    const c = l.config;
    let layer: tf.layers.Layer;
    let values: tf.Tensor[] = [];
    switch (l.class_name) {
      case 'InputLayer':
        tensors.set(l.name, tf.input({ shape: (c.batch_input_shape as number[]).slice(1), name: l.name }));
        continue;
      case 'Conv2D': {
        const k = weights.get(`${l.name}/kernel`)!;
        const co = k.shape[3]!;
        const kernel = Float32Array.from(k.data);
        const bias = Float32Array.from(weights.get(`${l.name}/bias`)!.data);
        const bn = folded.get(l.name);
        if (bn) {
          const [g, be, m, v] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weights.get(`${bn.name}/${n}`)!.data);
          for (let o = 0; o < co; o++) {
            const s = g![o]! / Math.sqrt(v![o]! + Number(bn.config.epsilon));
            for (let i = o; i < kernel.length; i += co) kernel[i] = k.data[i]! * s;
            bias[o] = (bias[o]! - m![o]!) * s + be![o]!;
          }
        }
        if (inputsOf(l)[0] === input.name) for (let i = 0; i < kernel.length; i++) kernel[i]! *= 255;
        layer = tf.layers.conv2d({
          name: l.name,
          filters: co,
          kernelSize: c.kernel_size as [number, number],
          strides: c.strides as [number, number],
          padding: c.padding as 'same' | 'valid',
          activation: c.activation as 'linear',
        });
        values = [tf.tensor(kernel, k.shape), tf.tensor(bias)];
        break;
      }
      case 'Activation':
        layer = tf.layers.activation({ name: l.name, activation: c.activation as 'relu' });
        break;
      case 'Add':
        layer = tf.layers.add({ name: l.name });
        break;
      case 'AveragePooling2D':
        layer = tf.layers.averagePooling2d({ name: l.name, poolSize: c.pool_size as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid' });
        break;
      case 'Flatten':
        layer = tf.layers.flatten({ name: l.name });
        break;
      case 'Dense': {
        const k = weights.get(`${l.name}/kernel`)!;
        layer = tf.layers.dense({ name: l.name, units: k.shape[1]!, activation: 'linear' });
        values = [tf.tensor(Float32Array.from(k.data), k.shape), tf.tensor(Float32Array.from(weights.get(`${l.name}/bias`)!.data))];
        break;
      }
      default:
        throw new Error(`${l.name}: layer ${l.class_name} is not converted`);
    }
    tensors.set(l.name, layer.apply(ins.length === 1 ? ins[0]! : ins) as tf.SymbolicTensor);
    if (values.length) assignments.push([layer, values]);
  }
  const last = layers.at(-1)!.name;
  const model = tf.model({ inputs: tensors.get(input.name)!, outputs: tensors.get(last)!, name: 'cifar10_resnet8' });
  for (const [layer, values] of assignments) layer.setWeights(values);
  return model;
}

async function main(h5Path: string): Promise<void> {
  await h5wasm.ready;
  await useTfjsBackend('cpu', () => undefined);
  const { layers, weights } = readH5(h5Path);
  const model = buildTfjs(layers, weights);
  model.setUserDefinedMetadata({
    mixnsqueeze: { dataset: 'cifar10', classNames: CIFAR10_NAMES, bounds: [0, 1] },
    source: `mlcommons/tiny 1afd2c9820f795965a6134facd0b4dfae41ef23f benchmark/training/image_classification/trained_models/pretrainedResnet.h5 (sha256 ${H5_SHA256}, Apache-2.0); converted by packages/backends/scripts/convert-resnet8.ts`,
  });
  const modelJson = join(OUT, 'model.json');
  await model.save(fileModelIo(modelJson));
  const { bytes } = await exportModelJsonToOnnx(modelJson, join(OUT, 'model.onnx'));
  process.stdout.write(`${modelJson}: ${model.countParams().toLocaleString('en-US')} parameters; model.onnx ${bytes.toLocaleString('en-US')} bytes\n`);

  const files = readdirSync(FIXTURES).filter((f) => /^cifar10_\d+_\d\.png$/.test(f)).sort();
  const reference: { file: string; label: number; probabilities: number[] }[] = [];
  let worst = 0;
  let agree = 0;
  let correct = 0;
  for (const file of files) {
    const png = decodePng(readFileSync(join(FIXTURES, file)), file);
    const raw = new Float64Array(32 * 32 * 3);
    for (let p = 0; p < 32 * 32; p++) for (let c = 0; c < 3; c++) raw[p * 3 + c] = png.rgba[p * 4 + c]!;
    const keras = kerasForward(layers, weights, raw);
    const logits = tf.tidy(() => tf.softmax(model.predict(tf.tensor(Float32Array.from(raw, (v) => v / 255), [1, 32, 32, 3])) as tf.Tensor).dataSync());
    for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(logits[k]! - keras[k]!));
    const argmax = (a: ArrayLike<number>) => Array.prototype.indexOf.call(a, Math.max(...Array.from(a))) as number;
    const label = Number(/_(\d)\.png$/.exec(file)![1]);
    agree += Number(argmax(logits) === argmax(keras));
    correct += Number(argmax(keras) === label);
    reference.push({ file, label, probabilities: Array.from(keras, (v) => Number(v.toPrecision(9))) });
  }
  await writeFileAtomic(join(FIXTURES, 'resnet8-keras-reference.json'), `${JSON.stringify({ note: 'softmax of the unfolded Keras ResNet-8 in float64 on raw 0-255 pixels, written by packages/backends/scripts/convert-resnet8.ts', images: reference }, null, 1)}\n`);
  process.stdout.write(`parity on ${files.length} lossless test PNGs: argmax agrees on ${agree}, Keras reference correct on ${correct}, max |probability difference| ${worst.toExponential(2)}\n`);
  if (agree !== files.length || worst > 1e-4) throw new Error('the converted model departs from the Keras reference');
}

const [h5] = process.argv.slice(2);
if (!h5) {
  process.stderr.write('usage: convert-resnet8.ts <pretrainedResnet.h5>\n');
  process.exitCode = 2;
} else {
  await main(h5);
}
