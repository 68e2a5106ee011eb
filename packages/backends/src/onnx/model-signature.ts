import type { InferenceSession } from 'onnxruntime-node';
import { type FeatureSpace, ModelLoadError, ShapeError, featureSpace, imageSpace } from '@mixnsqueeze/core';

/** How the model wants one sample laid out in memory; batches arrive as NHWC (or flat). */
export type InputLayout = 'nhwc' | 'nchw' | 'as-is';

/**
 * What a classifier needs to know to feed an ONNX model: input and output names, the per-sample
 * input dims in the model's own order, the layout conversion from the batch's layout, a fixed
 * batch size when the model has one, and the feature space the classifier presents.
 */
export interface ModelSignature {
  readonly inputName: string;
  readonly outputName: string;
  readonly modelDims: readonly number[];
  readonly layout: InputLayout;
  /** Samples per run when the model's batch axis is a fixed number rather than symbolic. */
  readonly fixedBatch: number | undefined;
  readonly space: FeatureSpace;
  /** Classes from the output's static shape; undefined when it is symbolic. */
  readonly classes: number | undefined;
}

const dims = (s: readonly (number | string)[]) => `[${s.join(', ')}]`;

function fits(model: readonly (number | string)[], wanted: readonly number[]): boolean {
  return model.length === wanted.length && model.every((d, i) => typeof d === 'string' || d === wanted[i]);
}

function tensorMeta(path: string, m: InferenceSession.ValueMetadata | undefined, what: string): InferenceSession.TensorValueMetadata {
  if (!m?.isTensor || m.type !== 'float32') {
    throw new ModelLoadError(`'${path}': expected a float32 tensor ${what}, got ${m ? (m.isTensor ? m.type : 'a non-tensor') : 'none'}. Export the model with a float32 ${what}.`);
  }
  return m;
}

/**
 * Reads the signature from the session's metadata. A 4-D input is NCHW when its second axis looks
 * like channels (<= 4) and its last does not (not 1 or 3), NHWC otherwise; a given `space`
 * settles it instead.
 * Throws `ModelLoadError` for models a classifier cannot drive (several inputs, non-float input,
 * unknown sizes without a space) and `ShapeError` when the space does not fit the model's input.
 */
export function modelSignature(
  path: string,
  inputs: readonly InferenceSession.ValueMetadata[],
  outputs: readonly InferenceSession.ValueMetadata[],
  space?: FeatureSpace,
): ModelSignature {
  if (inputs.length !== 1) {
    throw new ModelLoadError(`'${path}': expected a model with one input, got ${inputs.length} (${inputs.map((i) => i.name).join(', ')}). Wrap it so that it takes one image batch.`);
  }
  const input = tensorMeta(path, inputs[0], 'input');
  const output = tensorMeta(path, outputs[0], 'output');
  const [batch, ...rest] = input.shape;
  if (batch === undefined) throw new ModelLoadError(`'${path}': input '${input.name}' has no batch axis (shape []). Export it with a batch axis.`);
  const fixedBatch = typeof batch === 'number' && batch > 0 ? batch : undefined;
  const nchw = rest.length === 3 && (space ? !fits(rest, space.shape) && fits(rest, chw(space.shape)) : isChannelsFirst(rest));
  let resolved: FeatureSpace;
  if (space) {
    if (!fits(rest, nchw ? chw(space.shape) : space.shape)) {
      throw new ShapeError(`'${path}': input '${input.name}' has shape ${dims(input.shape)}, the given space has per-sample shape ${dims(space.shape)}. Pass a space of the model's input shape (NHWC for images).`);
    }
    resolved = space;
  } else {
    if (rest.some((d) => typeof d !== 'number' || d <= 0)) {
      throw new ModelLoadError(`'${path}': input '${input.name}' has symbolic sizes ${dims(input.shape)}. Pass options.space with the per-sample shape.`);
    }
    const r = rest as number[];
    resolved = r.length === 3 ? (nchw ? imageSpace(r[1]!, r[2]!, r[0]!) : imageSpace(r[0]!, r[1]!, r[2]!)) : featureSpace(r);
  }
  const modelDims = nchw ? chw(resolved.shape) : resolved.shape;
  const outRest = output.shape.slice(1);
  const classes = outRest.every((d) => typeof d === 'number') ? (outRest as number[]).reduce((a, b) => a * b, 1) : undefined;
  return {
    inputName: input.name,
    outputName: output.name,
    modelDims,
    layout: nchw ? 'nchw' : rest.length === 3 ? 'nhwc' : 'as-is',
    fixedBatch,
    space: resolved,
    classes,
  };
}

/** Channels first: a small leading axis, and a last axis that is not a usual channel count (1, 3). */
function isChannelsFirst(rest: readonly (number | string)[]): boolean {
  const [c, , last] = rest;
  return typeof c === 'number' && c <= 4 && last !== 1 && last !== 3;
}

/** [H, W, C] -> [C, H, W]. */
function chw(s: readonly number[]): number[] {
  return s.length === 3 ? [s[2]!, s[0]!, s[1]!] : [...s];
}
