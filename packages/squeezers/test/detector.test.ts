import { describe, expect, it } from 'vitest';
import { type Batch, type Classifier, ParameterError, imageSpace } from '@mixnsqueeze/core';
import { BitDepth } from '../src/bit-depth.ts';
import { Median } from '../src/median.ts';
import { SqueezeDetector, roundToUint8Grid, thresholdForFpr } from '../src/detector.ts';

const space = imageSpace(2, 2, 1);

/** Two-class model whose logit gap is 10 * (mean pixel - 0.5): sensitive to squeezing. */
const model: Classifier = {
  space,
  classes: 2,
  stochastic: false,
  async predict(x: Batch): Promise<Batch> {
    const n = x.shape[0]!;
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let j = 0; j < 4; j++) m += x.data[i * 4 + j]!;
      out[2 * i + 1] = 10 * (m / 4 - 0.5);
    }
    return { data: out, shape: [n, 2] };
  },
};

const softmax1 = (z: number) => 1 / (1 + Math.exp(-z));

describe('feature-squeezing detector', () => {
  it('scores the max L1 distance between softmax of x and of each squeezed x', async () => {
    const x: Batch = { data: Float32Array.of(0.4, 0.4, 0.4, 0.4), shape: [1, 2, 2, 1] };
    const det = new SqueezeDetector(model, [new BitDepth(1), new Median(2)]);
    const [score] = await det.scores(x);
    // Median of a constant image changes nothing; 1-bit maps every 0.4 to 0.
    const expected = 2 * Math.abs(softmax1(10 * (0.4 - 0.5)) - softmax1(-5));
    expect(score).toBeCloseTo(expected, 6);
    expect(score).toBeLessThanOrEqual(2);
  });

  it('fits the threshold as element ceil(N * 0.95) of the sorted legitimate scores and flags strictly above it', async () => {
    const scores = Float64Array.from({ length: 100 }, (_, i) => (99 - i) / 100);
    expect(thresholdForFpr(scores, 0.05)).toBe(0.94);
    expect(thresholdForFpr(Float64Array.of(0.3, 0.1, 0.2), 0.05)).toBe(0.3);
    expect(thresholdForFpr(Float64Array.from({ length: 20 }, (_, i) => i), 0.05)).toBe(18);
    const det = new SqueezeDetector(model, [new BitDepth(1)], 0);
    const same: Batch = { data: Float32Array.of(1, 1, 1, 1), shape: [1, 2, 2, 1] };
    expect([...(await det.detect(same))]).toEqual([0]);
  });

  it('fit then detect: about the target false-positive rate on the legitimate set', async () => {
    const n = 200;
    const x: Batch = { data: Float32Array.from({ length: 4 * n }, (_, i) => ((i * 7919) % 1000) / 1000), shape: [n, 2, 2, 1] };
    const det = new SqueezeDetector(model, [new BitDepth(1), new Median(2)]);
    await det.fit(x, 0.05);
    const flagged = (await det.detect(x)).reduce((a, b) => a + b, 0);
    expect(flagged).toBeLessThanOrEqual(10);
  });

  it('rounds adversarial inputs to the uint8 grid and refuses misuse', async () => {
    expect([...roundToUint8Grid({ data: Float32Array.of(0.5, 1, 0.0019), shape: [1, 3] }).data]).toEqual([
      Math.fround(128 / 255),
      1,
      0,
    ]);
    expect(() => new SqueezeDetector(model, [])).toThrow(ParameterError);
    await expect(new SqueezeDetector(model, [new BitDepth(1)]).detect({ data: new Float32Array(4), shape: [1, 2, 2, 1] })).rejects.toThrow(/no threshold/);
    expect(() => thresholdForFpr(new Float64Array(0), 0.05)).toThrow(ParameterError);
  });
});
