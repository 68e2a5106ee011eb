import type { io } from '@tensorflow/tfjs';
import { ModelLoadError } from '@mixnsqueeze/core';

/** A layer as serialised in a tfjs `model.json` (Keras JSON: snake_case config keys). */
export interface LayerJson {
  readonly class_name: string;
  readonly config: Record<string, unknown> & { readonly name: string };
  /** Functional models only: per call of the layer, its inputs as [layer name, node, tensor, kwargs]. */
  readonly inbound_nodes?: readonly (readonly (readonly [string, number, number, unknown?])[])[];
}

/** A float32 weight tensor, row-major in tfjs's own axis order. */
export interface Weight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * What the exporter needs of a tfjs layers model: its layers in a topological order, each with the
 * names of the layers it reads (the previous one in a Sequential model), the output layer, and the
 * weights by name.
 */
export interface LayersGraph {
  readonly layers: readonly LayerJson[];
  readonly inputsOf: ReadonlyMap<string, readonly string[]>;
  readonly output: string;
  readonly weights: ReadonlyMap<string, Weight>;
}

/** Edges of a functional model; a layer called more than once (shared weights) is refused. */
function functionalEdges(layers: readonly LayerJson[], config: Record<string, unknown>): { inputsOf: Map<string, string[]>; output: string } {
  const inputsOf = new Map<string, string[]>();
  for (const l of layers) {
    const nodes = l.inbound_nodes ?? [];
    if (nodes.length > 1) throw new ModelLoadError(`onnx export: layer '${l.config.name}' is called ${nodes.length} times (shared layer); only layers used once are supported.`);
    inputsOf.set(l.config.name, (nodes[0] ?? []).map((n) => n[0]));
  }
  const ins = (config.input_layers ?? []) as unknown[][];
  const outs = (config.output_layers ?? []) as unknown[][];
  if (ins.length !== 1 || outs.length !== 1) {
    throw new ModelLoadError(`onnx export: the functional model has ${ins.length} inputs and ${outs.length} outputs; expected one of each.`);
  }
  return { inputsOf, output: String(outs[0]![0]) };
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
 * handler, or a `model.json` with its weight files): Sequential and single-input, single-output
 * functional models with unquantised float32 weights.
 */
export function layersGraph(artifacts: io.ModelArtifacts): LayersGraph {
  const topology = artifacts.modelTopology as { class_name?: string; config?: unknown } | undefined;
  const kind = topology?.class_name;
  if (!topology || (kind !== 'Sequential' && kind !== 'Model' && kind !== 'Functional')) {
    throw new ModelLoadError(
      `onnx export: expected a tfjs layers model (Sequential or functional), got ${kind ?? 'no layers topology (a graph model?)'}. Export a tf.sequential() or tf.model() model.`,
    );
  }
  const cfg = topology.config as ({ layers?: LayerJson[] } & Record<string, unknown>) | LayerJson[];
  const layers = Array.isArray(cfg) ? cfg : (cfg.layers ?? []);
  let edges: { inputsOf: Map<string, string[]>; output: string };
  if (kind === 'Sequential') {
    edges = { inputsOf: new Map(layers.map((l, i) => [l.config.name, i === 0 ? [] : [layers[i - 1]!.config.name]])), output: layers.at(-1)?.config.name ?? '' };
  } else {
    edges = functionalEdges(layers, Array.isArray(cfg) ? {} : cfg);
  }
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
  return { layers, ...edges, weights };
}
