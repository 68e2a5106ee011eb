// Pool worker: ONNX Runtime sessions with the options the main thread chose (one intra-op thread
// by default): the model's own, and its gradient graph (or that graph's forward and backward
// parts), each created on the first job that needs it from the SharedArrayBuffer such jobs carry
// (sharing it costs no copy, and a replacement worker gets it from the job it retries). The main
// thread writes each shard's inputs into shared buffers; ORT does not accept shared memory, so they
// are copied into reused local buffers, run, and the output is written back into the slot's shared
// output buffer (or posted, when it does not fit).
//
// A gradient pass (`body.pass`) keeps, per pass id and shard, the tensors its forward part computed
// for the backward part, in reused buffers (./kept-buffers.mjs): `forward` runs the forward part
// and keeps them, `backward` runs the backward part on them and drops them (answering `lost` when
// this worker never had them: it replaced one that died), `release` drops whatever a pass still
// keeps here, `stats` counts what is kept. Plain JavaScript: a worker needs no TypeScript loader
// this way.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { KeptBuffers } from './kept-buffers.mjs';

const { model, options } = workerData;
ort.env.logLevel = 'fatal';
let session;
try {
  session = await ort.InferenceSession.create(model, options);
} catch (e) {
  parentPort.postMessage({ type: 'failed', message: String(e?.message ?? e) });
}

if (session) {
  /** Sessions of the gradient graph ('gradient') and of its parts ('forward', 'backward'). */
  const sessions = new Map();
  const sessionOf = (key, bytes) => {
    let s = sessions.get(key);
    if (!s) {
      s = ort.InferenceSession.create(new Uint8Array(bytes).slice(), options);
      sessions.set(key, s);
      s.catch(() => sessions.delete(key));
    }
    return s;
  };
  /** pass id -> shard index -> { kept: { name: tensor }, set } */
  const passes = new Map();
  let buffers;
  const locals = [];

  const feedsOf = (inputs) => {
    const feeds = {};
    inputs.forEach(({ name, buffer, dims }, k) => {
      const size = dims.reduce((a, b) => a * b, 1);
      if (!locals[k] || locals[k].length < size) locals[k] = new Float32Array(size);
      const x = locals[k].subarray(0, size);
      x.set(new Float32Array(buffer, 0, size));
      feeds[name] = new ort.Tensor('float32', x, dims);
    });
    return feeds;
  };

  const answer = (id, y, output) => {
    if (y.length * 4 <= output.byteLength) {
      new Float32Array(output, 0, y.length).set(y);
      parentPort.postMessage({ type: 'done', id, body: { length: y.length } });
    } else {
      parentPort.postMessage({ type: 'done', id, body: { length: y.length, data: y } });
    }
  };

  const runPass = async (id, body) => {
    const { pass } = body;
    if (pass.stage === 'stats') {
      let kept = 0;
      for (const shards of passes.values()) kept += shards.size;
      parentPort.postMessage({ type: 'done', id, body: { kept } });
      return;
    }
    if (pass.stage === 'release') {
      for (const { set } of passes.get(pass.id)?.values() ?? []) buffers.give(set);
      passes.delete(pass.id);
      parentPort.postMessage({ type: 'done', id, body: {} });
      return;
    }
    const part = await sessionOf(pass.stage, pass.model);
    if (pass.stage === 'forward') {
      buffers ??= new KeptBuffers(pass.kept, ort.Tensor);
      const { set, tensors } = buffers.take(body.inputs[0].dims[0]);
      let result;
      try {
        result = await part.run(feedsOf(body.inputs), { [body.outputName]: null, ...tensors });
      } catch (e) {
        buffers.give(set);
        throw e;
      }
      const kept = {};
      for (const { name } of pass.kept) kept[name] = tensors[name] ?? result[name];
      if (!passes.has(pass.id)) passes.set(pass.id, new Map());
      passes.get(pass.id).set(pass.shard, { kept, set });
      answer(id, (tensors[body.outputName] ?? result[body.outputName]).data, body.output);
      return;
    }
    const shards = passes.get(pass.id);
    const held = shards?.get(pass.shard);
    if (!held) {
      parentPort.postMessage({ type: 'done', id, body: { lost: true } });
      return;
    }
    shards.delete(pass.shard);
    if (shards.size === 0) passes.delete(pass.id);
    try {
      const result = await part.run({ ...feedsOf(body.inputs), ...held.kept }, [body.outputName]);
      answer(id, result[body.outputName].data, body.output);
    } finally {
      buffers.give(held.set);
    }
  };

  parentPort.on('message', async ({ id, body }) => {
    try {
      if (body.pass) {
        await runPass(id, body);
        return;
      }
      const { inputs, output, outputName } = body;
      const target = body.gradientModel ? await sessionOf('gradient', body.gradientModel) : session;
      const result = await target.run(feedsOf(inputs), [outputName]);
      answer(id, result[outputName].data, output);
    } catch (e) {
      parentPort.postMessage({ type: 'error', id, message: String(e?.message ?? e) });
    }
  });
  parentPort.postMessage({ type: 'ready', info: { inputs: session.inputMetadata, outputs: session.outputMetadata } });
}
