import type { io } from '@tensorflow/tfjs';
import { ModelLoadError, writeFileAtomic } from '@mixnsqueeze/core';
import { CONVERTERS, type ConvertContext, type GraphValue } from './layer-converters.ts';
import { fileModelIo } from '../tfjs/file-io.ts';
import { type LayerJson, layersGraph } from './layers-artifacts.ts';
import { OnnxGraphBuilder } from './onnx-graph-builder.ts';
import { UnsupportedLayerError } from './unsupported-layer-error.ts';

/** Names of the exported graph's input and output, and its symbolic batch axis. */
export const EXPORT_INPUT = 'input';
export const EXPORT_OUTPUT = 'logits';
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
 * Translates a tfjs layers model (its saved artifacts) into an ONNX model (opset 13) that takes
 * the same input as the tfjs model (NHWC images or vectors, batch axis dynamic) under the name
 * `input` and returns the same output under the name `logits`. Throws `UnsupportedLayerError`
 * naming the first layer it cannot translate.
 */
export function exportLayersToOnnx(artifacts: io.ModelArtifacts): Uint8Array {
  const { layers, weights } = layersGraph(artifacts);
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
  let x: GraphValue =
    dims.length === 3
      ? { name: graph.node('Transpose', [EXPORT_INPUT], { perm: [0, 3, 1, 2] }), layout: 'nchw', dims: [dims[2]!, dims[0]!, dims[1]!] }
      : { name: EXPORT_INPUT, layout: 'flat', dims };
  for (const layer of layers) {
    if (layer.class_name === 'InputLayer') continue;
    const convert = CONVERTERS[layer.class_name];
    if (!convert) throw new UnsupportedLayerError(layer.config.name, layer.class_name, 'no ONNX translation for this layer type');
    x = convert(x, layer, ctx);
  }
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
