// Pool worker: ONNX Runtime sessions with the options the main thread chose (one intra-op thread
// by default): the model's own, and its gradient graph, created on the first gradient job from
// the SharedArrayBuffer every gradient job carries (sharing it costs no copy, and a replacement
// worker gets it from the job it retries). The main thread writes each shard's inputs into shared
// buffers; ORT does not accept shared memory, so they are copied into reused local buffers, run,
// and the output is written back into the slot's shared output buffer (or posted, when it does not
// fit). Plain JavaScript: a worker needs no TypeScript loader this way.
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
  let gradient;
  const locals = [];
  parentPort.on('message', async ({ id, body }) => {
    try {
      const { inputs, output, outputName } = body;
      if (body.gradientModel) gradient ??= await ort.InferenceSession.create(new Uint8Array(body.gradientModel).slice(), options);
      const feeds = {};
      inputs.forEach(({ name, buffer, dims }, k) => {
        const size = dims.reduce((a, b) => a * b, 1);
        if (!locals[k] || locals[k].length < size) locals[k] = new Float32Array(size);
        const x = locals[k].subarray(0, size);
        x.set(new Float32Array(buffer, 0, size));
        feeds[name] = new ort.Tensor('float32', x, dims);
      });
      const result = await (body.gradientModel ? gradient : session).run(feeds, [outputName]);
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
