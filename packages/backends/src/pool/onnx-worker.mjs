// Pool worker: one ONNX Runtime session with the options the main thread chose (one intra-op
// thread by default). The main thread writes each shard into a SharedArrayBuffer; ORT does not
// accept shared memory, so the shard is copied into a reused local buffer, run, and the outputs are
// written back into the slot's shared output buffer (or posted, when they do not fit it).
// Plain JavaScript: a worker needs no TypeScript loader this way.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { model, options } = workerData;
ort.env.logLevel = 'fatal';
let session;
try {
  session = await ort.InferenceSession.create(model, options);
} catch (e) {
  parentPort.postMessage({ type: 'failed', message: String(e?.message ?? e) });
}

if (session) {
  let local = new Float32Array(0);
  parentPort.on('message', async ({ id, body }) => {
    try {
      const { input, output, dims, inputName, outputName } = body;
      const size = dims.reduce((a, b) => a * b, 1);
      if (local.length < size) local = new Float32Array(size);
      const x = local.subarray(0, size);
      x.set(new Float32Array(input, 0, size));
      const result = await session.run({ [inputName]: new ort.Tensor('float32', x, dims) }, [outputName]);
      const y = result[outputName].data;
      if (y.length * 4 <= output.byteLength) {
        new Float32Array(output, 0, y.length).set(y);
        parentPort.postMessage({ type: 'done', id, body: { length: y.length } });
      } else {
        parentPort.postMessage({ type: 'done', id, body: { length: y.length, data: y } });
      }
    } catch (e) {
      parentPort.postMessage({ type: 'error', id, message: String(e?.message ?? e) });
    }
  });
  parentPort.postMessage({ type: 'ready', info: { inputs: session.inputMetadata, outputs: session.outputMetadata } });
}
