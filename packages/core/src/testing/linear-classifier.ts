import { type Batch, sampleSize } from '../batch.ts';
import { type DifferentiableClassifier } from '../classifier.ts';
import { ShapeError } from '../errors.ts';
import { type FeatureSpace, checkShape, featureCount } from '../feature-space.ts';

/**
 * logits = W x + b over the flattened features: a tiny exact, differentiable classifier for tests,
 * examples and plugin authors' unit tests (its vjp is W^T g, exactly).
 */
export class LinearClassifier implements DifferentiableClassifier {
  /** The input space. */
  readonly space: FeatureSpace;
  /** Number of classes (the length of `bias`). */
  readonly classes: number;
  /** Always false: the model is deterministic. */
  readonly stochastic = false;
  /** classes x features, row-major. */
  readonly weights: Float64Array;
  /** One bias per class. */
  readonly bias: Float64Array;
  /** Samples seen by predict and vjp (for query accounting in tests). */
  forwardCount = 0;
  /** Samples seen by vjp. */
  gradientCount = 0;

  constructor(space: FeatureSpace, weights: Float64Array, bias: Float64Array) {
    const d = featureCount(space);
    if (weights.length % d !== 0 || weights.length / d !== bias.length) {
      throw new ShapeError(`LinearClassifier: weights must be classes x ${d} and bias classes long.`);
    }
    this.space = space;
    this.classes = bias.length;
    this.weights = weights;
    this.bias = bias;
  }

  /** Logits W x + b of each sample. */
  async predict(x: Batch): Promise<Batch> {
    checkShape(this.space, x);
    const n = x.shape[0]!;
    const d = sampleSize(x.shape);
    const k = this.classes;
    const w = this.weights;
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = this.bias[c]!;
        for (let j = 0; j < d; j++) s += w[c * d + j]! * x.data[i * d + j]!;
        out[i * k + c] = s;
      }
    }
    this.forwardCount += n;
    return { data: out, shape: [n, k] };
  }

  /** W^T g for each sample: the exact input gradient. */
  async vjp(x: Batch, dLogits: Batch): Promise<Batch> {
    checkShape(this.space, x);
    const n = x.shape[0]!;
    const d = sampleSize(x.shape);
    const k = this.classes;
    const w = this.weights;
    const g = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += w[c * d + j]! * dLogits.data[i * k + c]!;
        g[i * d + j] = s;
      }
    }
    this.gradientCount += n;
    return { data: g, shape: x.shape };
  }
}
