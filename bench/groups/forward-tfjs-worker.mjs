// Bench-only worker for the `forward` group: one tfjs-wasm model per worker thread (tfjs-wasm has
// no threads in Node), speaking WorkerPool's protocol. Plain JavaScript: no loader in the worker.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
await tf.setBackend('wasm');
const json = JSON.parse(await readFile(workerData.modelJson, 'utf8'));
const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
  const files = await Promise.all(manifest.flatMap((g) => g.paths.map((p) => readFile(join(dirname(workerData.modelJson), p)))));
  const bytes = Buffer.concat(files);
  return [tf.io.getWeightSpecs(manifest), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
});
const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
parentPort.on('message', async ({ id, body }) => {
  const y = tf.tidy(() => model.predict(tf.tensor(body.data, body.shape)));
  const data = await y.data();
  y.dispose();
  parentPort.postMessage({ type: 'done', id, body: data }, [data.buffer]);
});
parentPort.postMessage({ type: 'ready', info: null });
