import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../src/onnx/onnx-graph-builder.ts';

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mixnsqueeze-onnx-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic values in [-1, 1) (an LCG; tests need reproducible, distinct numbers). */
export function pseudoRandom(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * A linear classifier written directly as ONNX: input of `inputDims` (model order) -> Flatten ->
 * Gemm with `weights` [features x classes]. Its logits are easy to compute by hand, in the
 * model's own element order, which is what layout tests need.
 */
export function linearModel(options: {
  inputDims: readonly (number | string)[];
  classes: number;
  weights: Float32Array;
  outputDims?: readonly (number | string)[];
}): Uint8Array {
  const features = options.weights.length / options.classes;
  const g = new OnnxGraphBuilder();
  const flat = g.node('Flatten', ['x'], { axis: 1 });
  const y = g.node('Gemm', [flat, g.constant('w', options.weights, [features, options.classes])]);
  return g.encode({
    inputName: 'x',
    inputDims: options.inputDims,
    outputName: 'y',
    outputDims: options.outputDims ?? [options.inputDims[0]!, options.classes],
    last: y,
    docString: 'test fixture',
  });
}

/** Logits of the linear model for samples already in the model's element order. */
export function linearLogits(x: Float32Array, n: number, weights: Float32Array, classes: number): Float32Array {
  const f = weights.length / classes;
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < classes; k++) {
      let s = 0;
      for (let j = 0; j < f; j++) s += x[i * f + j]! * weights[j * classes + k]!;
      out[i * classes + k] = s;
    }
  return out;
}

export async function writeModel(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}
