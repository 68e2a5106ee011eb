// Bench-only worker for the `gradients` group: one tfjs-wasm TfjsClassifier per worker thread
// (tfjs-wasm has no threads in Node), with the project's wasm Conv2D gradients, speaking
// WorkerPool's protocol. It imports the TypeScript package, so it registers tsx's loader first
// (worker threads do not inherit the one the bench runs under).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { TfjsClassifier } = await import('@mixnsqueeze/backends');

const model = await TfjsClassifier.load(workerData.modelJson, { backend: 'wasm', log: () => undefined });
parentPort.on('message', async ({ id, body }) => {
  const grad = await model.vjp({ data: body.data, shape: body.shape }, { data: body.seed, shape: [body.shape[0], model.classes] });
  parentPort.postMessage({ type: 'done', id, body: grad.data }, [grad.data.buffer]);
});
parentPort.postMessage({ type: 'ready', info: null });
