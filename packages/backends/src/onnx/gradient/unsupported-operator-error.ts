import { CapabilityError } from '@mixnsqueeze/core';

/**
 * An operator on the path from the input to the logits that the gradient-graph builder has no
 * backward rule for (or a setting of one it cannot differentiate). Names the operator and the node.
 */
export class UnsupportedOperatorError extends CapabilityError {
  /** The ONNX operator type, e.g. `Resize`. */
  readonly op: string;
  /** The node's name (or its index when unnamed). */
  readonly node: string;

  constructor(op: string, node: string, why = 'no backward rule for this operator') {
    super(
      `onnx gradients: operator '${op}' (node '${node}') is not supported: ${why}. The model stays usable for predictions; ` +
        'attack it through an estimated-gradient surface (spsa, nes), or re-export it with supported operators (docs/onnx.md lists them).',
    );
    this.op = op;
    this.node = node;
  }
}
