import type { io } from '@tensorflow/tfjs';
import { ModelLoadError, writeFileAtomic } from '@mixnsqueeze/core';
import { CONVERTERS, type ConvertContext, type GraphValue, MERGE_CONVERTERS } from './layer-converters.ts';
import { fileModelIo } from '../tfjs/file-io.ts';
import { type LayerJson, layersGraph } from './layers-artifacts.ts';
import { OnnxGraphBuilder } from './onnx-graph-builder.ts';
import { UnsupportedLayerError } from './unsupported-layer-error.ts';

/** Name of the exported graph's input. */
export const EXPORT_INPUT = 'input';
/** Name of the exported graph's output (logits). */
export const EXPORT_OUTPUT = 'logits';
// The symbolic batch axis.
const BATCH = 'N';

function inputShape(layers: readonly LayerJson[]): number[] {
  const config = layers[0]?.config;
  const shape = (config?.batch_input_shape ?? config?.batch_shape) as (number | null)[] | undefined;
  if (!shape || shape.slice(1).some((d) => typeof d !== 'number') || (shape.length !== 2 && shape.length !== 4)) {
    throw new ModelLoadError(
      `onnx export: expected a first layer with a static input shape [null, H, W, C] or [null, D], got ${shape ? `[${shape.join(', ')}]` : 'none'}. Build the model with an inputShape.`,
    );
  }
  return shape.slice(1) as number[];
}

function convertOne(x: GraphValue, layer: LayerJson, ctx: ConvertContext): GraphValue {
  const convert = CONVERTERS[layer.class_name];
  if (!convert) throw new UnsupportedLayerError(layer.config.name, layer.class_name, 'no ONNX translation for this layer type');
  return convert(x, layer, ctx);
}

/** Brings the last value back to tfjs's layout (NHWC images, HWC flatten order). */
function toTfjsLayout(graph: OnnxGraphBuilder, x: GraphValue): { name: string; dims: (number | string)[] } {
  const [c, h, w] = x.dims as [number, number, number];
  if (x.layout === 'nchw') return { name: graph.node('Transpose', [x.name], { perm: [0, 2, 3, 1] }), dims: [BATCH, h, w, c] };
  if (x.layout === 'flat') return { name: x.name, dims: [BATCH, x.dims[0]!] };
  const image = graph.node('Reshape', [x.name, graph.int64Constant('shape', [-1, c, h, w])]);
  const nhwc = graph.node('Transpose', [image], { perm: [0, 2, 3, 1] });
  return { name: graph.node('Flatten', [nhwc], { axis: 1 }), dims: [BATCH, c * h * w] };
}

/**
 * Translates a tfjs layers model (its saved artifacts, Sequential or functional) into an ONNX
 * model (opset 13) that takes the same input as the tfjs model (NHWC images or vectors, batch axis
 * dynamic) under the name `input` and returns the same output under the name `logits`. Throws `UnsupportedLayerError`
 * naming the first layer it cannot translate.
 */
export function exportLayersToOnnx(artifacts: io.ModelArtifacts): Uint8Array {
  const { layers, inputsOf, output, weights } = layersGraph(artifacts);
  const dims = inputShape(layers);
  const graph = new OnnxGraphBuilder();
  const ctx: ConvertContext = {
    graph,
    weight(layer, which) {
      const w = weights.get(`${layer.config.name}/${which}`);
      if (!w) throw new ModelLoadError(`onnx export: layer '${layer.config.name}' has no weight '${which}' in the weight files. Re-save the model.`);
      return w;
    },
  };
  const input: GraphValue =
    dims.length === 3
      ? { name: graph.node('Transpose', [EXPORT_INPUT], { perm: [0, 3, 1, 2] }), layout: 'nchw', dims: [dims[2]!, dims[0]!, dims[1]!] }
      : { name: EXPORT_INPUT, layout: 'flat', dims };
  const values = new Map<string, GraphValue>();
  for (const layer of layers) {
    const name = layer.config.name;
    const sources = inputsOf.get(name) ?? [];
    const xs = sources.map((s) => {
      const v = values.get(s);
      if (!v) throw new UnsupportedLayerError(name, layer.class_name, `its input '${s}' comes later in the layer list (not in topological order)`);
      return v;
    });
    if (layer.class_name === 'InputLayer' || xs.length === 0) {
      values.set(name, layer.class_name === 'InputLayer' ? input : convertOne(input, layer, ctx));
      continue;
    }
    const merge = MERGE_CONVERTERS[layer.class_name];
    if (merge) values.set(name, merge(xs, layer, ctx));
    else if (xs.length === 1) values.set(name, convertOne(xs[0]!, layer, ctx));
    else throw new UnsupportedLayerError(name, layer.class_name, `${xs.length} inputs for a single-input layer`);
  }
  const x = values.get(output);
  if (!x) throw new ModelLoadError(`onnx export: the output layer '${output}' is not among the model's layers.`);
  const out = toTfjsLayout(graph, x);
  return graph.encode({
    inputName: EXPORT_INPUT,
    inputDims: [BATCH, ...dims],
    outputName: EXPORT_OUTPUT,
    outputDims: out.dims,
    last: out.name,
    docString: `Exported by mixnsqueeze from a tfjs layers model (${layers.length} layers).`,
  });
}

/** Exports a tfjs `model.json` (with its weight files) to an ONNX file, written atomically. */
export async function exportModelJsonToOnnx(modelJson: string, outOnnx: string): Promise<{ bytes: number }> {
  const onnx = exportLayersToOnnx(await fileModelIo(modelJson).load!());
  await writeFileAtomic(outOnnx, onnx);
  return { bytes: onnx.byteLength };
}
