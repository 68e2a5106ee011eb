/**
 * Converts MobileNet v1 0.25 at 224 x 224 (TensorFlow model-zoo release, float TFLite,
 * Apache-2.0) into the zoo entry `imagenet-mobilenet-v1-025`: tfjs (model.json + weights.bin)
 * and ONNX, inputs [0, 1] RGB, 1,000 ImageNet logits out.
 *
 *   npx tsx packages/backends/scripts/convert-mobilenet-tflite.ts \
 *     /work/shared/data/mobilenet-v1-025/mobilenet_v1_0.25_224_1_default_1.tflite \
 *     /work/shared/data/imagenet-val-1300/dataset.txt
 *
 * The TFLite graph reads (pixel - 127.5) / 127.5 = 2x - 1 for x = pixel / 255. That affine map
 * is NOT folded into the first convolution: it is a 3x3 stride-2 convolution with TF 'same'
 * padding, which on 224 x 224 pads one row at the bottom and one column at the right with zeros
 * of the scaled input, i.e. x = 0.5. Folded weights (2W, b - sum W) would see x = 0 there instead,
 * wrong on the last row and column of its output. The model keeps an explicit input layer
 * (tfjs Rescaling, ONNX Mul + Add: 150,528 multiply-adds, nothing beside the network) and is exact.
 * Each fused ReLU6 becomes the layer's activation (ONNX Clip 0..6), the final softmax is dropped
 * (logits out, argmax unchanged), and output 0 (background) of the 1001-way classifier is dropped
 * so that output c is ImageNet class c (the 0-999 labels of dataset.txt, sorted WordNet ids).
 *
 * The check: a float64 forward pass of the TFLite graph itself (src/tflite/reference-forward.ts,
 * written from the operator definitions) on the first images of the labels file, central 224
 * crops as the ImageNet loader makes them, against the tfjs model (backend cpu) and the ONNX
 * export (ONNX Runtime); max |delta logit| is printed and must stay below 1e-3. The reference
 * logits of two synthetic images (no ImageNet content) go to test/fixtures for the parity test.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { isDifferentiable, makeBatch, writeFileAtomic } from '@mixnsqueeze/core';
import { decodeImage } from '../src/data/image-files.ts';
import { imagenetInput } from '../src/data/image-resize.ts';
import { IMAGENET_NAMES } from '../src/data/imagenet-classes.ts';
import { exportModelJsonToOnnx } from '../src/onnx/export-tfjs.ts';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';
import { tfliteForward } from '../src/tflite/reference-forward.ts';
import { type TfliteModel, type TfliteOperator, readTflite } from '../src/tflite/tflite-model.ts';
import { syntheticImage } from '../test/fixtures/synthetic-image.ts';

/** sha256 of mobilenet_v1_0.25_224_1_default_1.tflite (yanghaku/wasi-nn-safe 2e62c158a4c6cd6614ea88c45b4ca36e3942fe07). */
const TFLITE_SHA256 = '446ec673881cd46371a8726075b714194ada39d144762260cb76d15318597df7';
const SOURCE = 'github.com/yanghaku/wasi-nn-safe 2e62c158a4c6cd6614ea88c45b4ca36e3942fe07 assets/mobilenet_v1_0.25_224_1_default_1.tflite (TF model zoo mobilenet_v1_0.25_224, Apache-2.0)';
const OUT = fileURLToPath(new URL('../models/imagenet-mobilenet-v1-025/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/fixtures/mobilenet-tflite-reference.json', import.meta.url));
/** Images of the labels file the float64 reference is run on (about a second each). */
const PARITY = 10;
const SYNTHETIC_SEEDS = [1, 2];
/** TF's 1001-way classifiers put background at output 0. */
const BACKGROUND_CLASSES = 1001;
const TOLERANCE = 1e-3;

function readChecked(path: string): TfliteModel {
  const bytes = readFileSync(path);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== TFLITE_SHA256) throw new Error(`${path}: sha256 ${digest}, expected ${TFLITE_SHA256} (mobilenet_v1_0.25_224_1_default_1.tflite).`);
  return readTflite(new Uint8Array(bytes), path);
}

/** A layer name from the TFLite tensor names: the scope of the weights (Conv2d_3_depthwise) or of the output (AvgPool_1a). */
function layerName(model: TfliteModel, op: TfliteOperator, taken: Set<string>): string {
  const source = op.op === 'CONV_2D' || op.op === 'DEPTHWISE_CONV_2D' ? model.tensors[op.inputs[1]!]!.name : model.tensors[op.outputs[0]!]!.name;
  const parts = source.split('/');
  let name = (op.op === 'RESHAPE' || op.op === 'SQUEEZE' ? 'logits' : (parts.at(-2) ?? parts.at(-1)!)).replace(/[^A-Za-z0-9_]/g, '_');
  while (taken.has(name)) name = `${name}_`;
  taken.add(name);
  return name;
}

const ACTIVATIONS = { none: 'linear', relu: 'relu', relu6: 'relu6' } as const;

/** The tfjs model: input affine, then one layer per TFLite operator (softmax dropped, background output dropped). */
function buildTfjs(model: TfliteModel): tf.LayersModel {
  const [, h, w, c] = model.tensors[model.inputs[0]!]!.shape as [number, number, number, number];
  const layers: tf.layers.Layer[] = [tf.layers.rescaling({ inputShape: [h, w, c], scale: 2, offset: -1, name: 'input_affine' })];
  const assignments: [tf.layers.Layer, tf.Tensor[]][] = [];
  const taken = new Set<string>(['input_affine']);
  const ops = model.operators;
  for (const [k, op] of ops.entries()) {
    const name = layerName(model, op, taken);
    const window = op.window;
    if (op.op === 'CONV_2D' || op.op === 'DEPTHWISE_CONV_2D') {
      const f = model.tensors[op.inputs[1]!]!;
      const data = f.data as Float32Array;
      const bias = model.tensors[op.inputs[2]!]!.data as Float32Array;
      const [f0, kh, kw, f3] = f.shape as [number, number, number, number];
      const common = { name, kernelSize: [kh, kw] as [number, number], strides: window!.strides as [number, number], padding: window!.padding, activation: ACTIVATIONS[window!.activation] };
      if (op.op === 'CONV_2D') {
        // The 1001-way classifier loses its background output: ImageNet class c is output c + 1.
        const skip = f0 === BACKGROUND_CLASSES ? 1 : 0;
        if (skip && ops.slice(k + 1).some((o) => o.op !== 'RESHAPE' && o.op !== 'SQUEEZE' && o.op !== 'SOFTMAX')) throw new Error(`${name}: a 1001-channel convolution that is not the classifier`);
        const co = f0 - skip;
        // TFLite OHWI -> tfjs HWIO.
        const kernel = new Float32Array(kh * kw * f3 * co);
        for (let o = 0; o < co; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < f3; i++) kernel[((y * kw + x) * f3 + i) * co + o] = data[(((o + skip) * kh + y) * kw + x) * f3 + i]!;
        const layer = tf.layers.conv2d({ ...common, filters: co });
        layers.push(layer);
        assignments.push([layer, [tf.tensor(kernel, [kh, kw, f3, co]), tf.tensor(bias.slice(skip))]]);
      } else {
        const m = window!.depthMultiplier ?? 1;
        const ci = f3 / m;
        // TFLite [1, kh, kw, C * M] is already tfjs's [kh, kw, C, M] in memory.
        const layer = tf.layers.depthwiseConv2d({ ...common, depthMultiplier: m });
        layers.push(layer);
        assignments.push([layer, [tf.tensor(data, [kh, kw, ci, m]), tf.tensor(bias)]]);
      }
    } else if (op.op === 'AVERAGE_POOL_2D') {
      if (window!.activation !== 'none') throw new Error(`${name}: fused ${window!.activation} after a pool`);
      layers.push(tf.layers.averagePooling2d({ name, poolSize: window!.filter as [number, number], strides: window!.strides as [number, number], padding: window!.padding }));
    } else if (op.op === 'RESHAPE' || op.op === 'SQUEEZE') {
      const out = model.tensors[op.outputs[0]!]!.shape;
      if (out.length !== 2) throw new Error(`${name}: ${op.op} to [${out.join(', ')}]; only the final flatten to [1, classes] is converted`);
      layers.push(tf.layers.flatten({ name }));
    } else if (op.op === 'SOFTMAX') {
      if (k !== ops.length - 1 || !(op.beta! > 0)) throw new Error('a SOFTMAX that is not the last operator, or of beta <= 0: dropping it would change the argmax');
    }
  }
  const net = tf.sequential({ name: 'mobilenet_v1_025_224', layers });
  for (const [layer, values] of assignments) layer.setWeights(values);
  return net;
}

/** The TFLite input of a [0, 1] image on the 8-bit grid: (pixel - 127.5) / 127.5 in float64. */
function tfliteInput(x: Float32Array): Float64Array {
  return Float64Array.from(x, (v) => (Math.round(v * 255) - 127.5) / 127.5);
}

function referenceLogits(model: TfliteModel, x: Float32Array): Float64Array {
  return tfliteForward(model, tfliteInput(x)).slice(1);
}

function firstImages(labelsPath: string, n: number): { file: string; label: number; x: Float32Array }[] {
  const lines = readFileSync(labelsPath, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, n);
  return lines.map((line) => {
    const [file, label] = line.split(',').map((s) => s.trim()) as [string, string];
    const path = join(dirname(labelsPath), file);
    return { file, label: Number(label), x: imagenetInput(decodeImage(readFileSync(path), path)) };
  });
}

const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
};

async function main(tflitePath: string, labelsPath: string): Promise<void> {
  await useTfjsBackend('cpu', () => undefined);
  const tflite = readChecked(tflitePath);
  const model = buildTfjs(tflite);
  model.setUserDefinedMetadata({
    mixnsqueeze: { dataset: 'imagenet', classNames: IMAGENET_NAMES, bounds: [0, 1] },
    source: `${SOURCE} (sha256 ${TFLITE_SHA256}); converted by packages/backends/scripts/convert-mobilenet-tflite.ts`,
  });
  const modelJson = join(OUT, 'model.json');
  await model.save(fileModelIo(modelJson));
  const { bytes } = await exportModelJsonToOnnx(modelJson, join(OUT, 'model.onnx'));
  process.stdout.write(`${modelJson}: ${model.countParams().toLocaleString('en-US')} parameters (the TFLite file's 467,593 less the background output's 257); model.onnx ${bytes.toLocaleString('en-US')} bytes\n`);

  const onnx = await OnnxClassifier.load(join(OUT, 'model.onnx'), { workers: 1 });
  if (!isDifferentiable(onnx)) throw new Error('the ONNX export has no gradient graph');
  const images = firstImages(labelsPath, PARITY);
  const worst = { tfjs: 0, onnx: 0 };
  let agree = 0;
  let correct = 0;
  for (const { file, label, x } of images) {
    const ref = referenceLogits(tflite, x);
    const batch = makeBatch(x, [1, 224, 224, 3]);
    const ours = tf.tidy(() => (model.predict(tf.tensor(x, [1, 224, 224, 3])) as tf.Tensor).dataSync() as Float32Array);
    const viaOnnx = (await onnx.predict(batch)).data;
    for (let k = 0; k < ref.length; k++) {
      worst.tfjs = Math.max(worst.tfjs, Math.abs(ours[k]! - ref[k]!));
      worst.onnx = Math.max(worst.onnx, Math.abs(viaOnnx[k]! - ref[k]!));
    }
    agree += Number(argmax(ours) === argmax(ref) && argmax(viaOnnx) === argmax(ref));
    correct += Number(argmax(ref) === label);
    process.stdout.write(`  ${file}: label ${label}, reference argmax ${argmax(ref)} (${IMAGENET_NAMES[argmax(ref)]})\n`);
  }
  await onnx.close();
  process.stdout.write(
    `parity on ${images.length} images (central 224 crops): argmax agrees on ${agree}, reference correct on ${correct}; max |delta logit| tfjs ${worst.tfjs.toExponential(2)}, ONNX ${worst.onnx.toExponential(2)}\n`,
  );
  if (agree !== images.length || worst.tfjs > TOLERANCE || worst.onnx > TOLERANCE) throw new Error('the converted model departs from the TFLite reference');

  const synthetic = SYNTHETIC_SEEDS.map((seed) => ({ seed, logits: Array.from(referenceLogits(tflite, syntheticImage(seed)), (v) => Number(v.toPrecision(9))) }));
  await writeFileAtomic(
    FIXTURE,
    `${JSON.stringify({ note: 'logits (background dropped) of the float64 TFLite MobileNet v1 0.25 on syntheticImage(seed), written by packages/backends/scripts/convert-mobilenet-tflite.ts', images: synthetic })}\n`,
  );
}

const [tflitePath, labelsPath] = process.argv.slice(2);
if (!tflitePath || !labelsPath) {
  process.stderr.write('usage: convert-mobilenet-tflite.ts <mobilenet_v1_0.25_224_1_default_1.tflite> <imagenet dataset.txt>\n');
  process.exitCode = 2;
} else {
  await main(tflitePath, labelsPath);
}
