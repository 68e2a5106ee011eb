// Fault injection for pool tests: the real ONNX worker, except that while the shared budget
// (workerData.crashes, an Int32Array over a SharedArrayBuffer) is positive, a worker that receives
// a job takes one from the budget and exits at once, as a crashed worker would, mid-run.
import { parentPort, workerData } from 'node:worker_threads';

const budget = workerData.crashes;
parentPort.on('message', () => {
  if (Atomics.sub(budget, 0, 1) > 0) process.exit(7);
});
await import('../src/pool/onnx-worker.mjs');
