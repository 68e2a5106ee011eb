import type { io } from '@tensorflow/tfjs';
import { ModelLoadError } from '@mixnsqueeze/core';

/** A layer as serialised in a tfjs `model.json` (Keras JSON: snake_case config keys). */
export interface LayerJson {
  readonly class_name: string;
  readonly config: Record<string, unknown> & { readonly name: string };
}

/** A float32 weight tensor, row-major in tfjs's own axis order. */
export interface Weight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** What the exporter needs of a tfjs layers model: its layers in order and its weights by name. */
export interface LayersGraph {
  readonly layers: readonly LayerJson[];
  readonly weights: ReadonlyMap<string, Weight>;
}

function concat(parts: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(parts)) return new Uint8Array(parts);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/**
 * Reads the layers and weights out of tfjs model artifacts (what `model.save` hands a save
 * handler, or a `model.json` with its weight files). Only Sequential models with unquantised
 * float32 weights are supported: the project's models are of that kind.
 */
export function layersGraph(artifacts: io.ModelArtifacts): LayersGraph {
  const topology = artifacts.modelTopology as { class_name?: string; config?: unknown } | undefined;
  if (!topology || topology.class_name !== 'Sequential') {
    throw new ModelLoadError(
      `onnx export: expected a tfjs layers Sequential model, got ${topology?.class_name ?? 'no layers topology (a graph model?)'}. Export a tf.sequential() model.`,
    );
  }
  const cfg = topology.config as { layers?: LayerJson[] } | LayerJson[];
  const layers = Array.isArray(cfg) ? cfg : (cfg.layers ?? []);
  const bytes = concat(artifacts.weightData ?? []);
  const weights = new Map<string, Weight>();
  let off = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    if (spec.dtype !== 'float32' || spec.quantization) {
      throw new ModelLoadError(`onnx export: weight '${spec.name}' is ${spec.quantization ? 'quantised' : spec.dtype}; expected unquantised float32. Re-save the model without quantisation.`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (off + size * 4 > bytes.byteLength) {
      throw new ModelLoadError(`onnx export: weight data ends at byte ${bytes.byteLength}, weight '${spec.name}' needs bytes up to ${off + size * 4}. The weight files are truncated; re-save the model.`);
    }
    weights.set(spec.name, { data: new Float32Array(bytes.slice(off, off + size * 4).buffer), shape: spec.shape });
    off += size * 4;
  }
  return { layers, weights };
}
