import { ModelLoadError } from '@mixnsqueeze/core';

/** A tfjs layer (or layer setting) the ONNX exporter cannot translate. Names the layer. */
export class UnsupportedLayerError extends ModelLoadError {
  /** The layer's name in the model. */
  readonly layer: string;
  /** The layer's Keras class, e.g. `LayerNormalization`. */
  readonly className: string;

  constructor(layer: string, className: string, why: string) {
    super(
      `onnx export: layer '${layer}' (${className}) is not supported: ${why}. Supported: InputLayer, Rescaling, Conv2D, ` +
        'BatchNormalization, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout, Add, ' +
        'Activation (activations relu, linear, softmax); Sequential and functional models.',
    );
    this.layer = layer;
    this.className = className;
  }
}
