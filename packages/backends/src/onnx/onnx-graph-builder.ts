import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The operator set the exporter targets; every op it emits is defined there. */
export const OPSET = 13;

export type AttributeValue = number | readonly number[] | string;
/** A float attribute must be marked as such: a JS number alone cannot tell 1.0 from 1. */
export interface FloatAttribute {
  readonly float: number;
}

function attribute(name: string, value: AttributeValue | FloatAttribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value] };
}

/** A tensor's type and shape; a string dimension is symbolic (e.g. the batch axis 'N'). */
function valueInfo(name: string, dims: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * Accumulates the nodes and float32 initializers of one ONNX graph and encodes it as a model.
 * Names are generated from the op type, so callers only thread the returned value names along.
 */
export class OnnxGraphBuilder {
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  #counter = 0;

  #fresh(prefix: string): string {
    return `${prefix}_${this.#counter++}`;
  }

  /** Adds a float32 constant; the data is stored raw (little-endian), the compact encoding. */
  constant(prefix: string, data: Float32Array, dims: readonly number[]): string {
    const name = this.#fresh(prefix);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.#initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  /** Adds an int64 constant (shapes for Reshape). */
  int64Constant(prefix: string, values: readonly number[]): string {
    const name = this.#fresh(prefix);
    this.#initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue | FloatAttribute> = {}): string {
    const output = this.#fresh(opType.toLowerCase());
    this.#nodes.push({
      opType,
      name: `${output}_node`,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /**
   * Encodes the model. The graph's input and output get stable names (`inputName`, `outputName`),
   * the contract a classifier loading the file relies on; an Identity node renames the last value.
   */
  encode(options: {
    readonly inputName: string;
    readonly inputDims: readonly (number | string)[];
    readonly outputName: string;
    readonly outputDims: readonly (number | string)[];
    readonly last: string;
    readonly docString: string;
  }): Uint8Array {
    const nodes = [...this.#nodes, { opType: 'Identity', name: 'output_node', input: [options.last], output: [options.outputName] }];
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 7,
      producerName: 'mixnsqueeze',
      producerVersion: '0.1.0',
      docString: options.docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: 'mixnsqueeze_export',
        node: nodes,
        initializer: this.#initializers,
        input: [valueInfo(options.inputName, options.inputDims)],
        output: [valueInfo(options.outputName, options.outputDims)],
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
