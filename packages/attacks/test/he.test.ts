import { describe, expect, it } from 'vitest';
import { type Batch, CapabilityError, type FeatureSpace, Registry, type Squeezer, UnknownComponentError, argmaxRows, derivedKeys, imageSpace, sliceBatch } from '@mixnsqueeze/core';
import { BitDepth, Median, SqueezeDetector, UniformNoise, defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { HeAdaptive, type HeParams } from '../src/attacks/he-adaptive.ts';
import { HeEot } from '../src/attacks/he-eot.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { quadrantImages, trainLinear } from './tiny-models.ts';

const space = imageSpace(6, 6, 1);
const squeezers = [new BitDepth(1), new Median(2)];
const train = quadrantImages(200, 5);
// Trained on clean and squeezed copies: confident and consistent, as a trained MNIST model is.
const model = trainLinear(space, [train.x, ...squeezers.map((s) => s.apply(train.x, space))], train.labels, 4, 100, 1);
const test = quadrantImages(100, 9);
const detector = new SqueezeDetector(model, squeezers);
const threshold = await detector.fit(test.x);
const x = sliceBatch(test.x, 0, 16);
const labels = test.labels.subarray(0, 16);
const settings: Omit<HeParams, 'squeezers'> = { threshold, confidence: 0, lr: 0.09, iterations: 100, binarySteps: 5, initialConst: 1, abortEarly: true };
const accuracy = async (c: { predict(b: Batch): Promise<Batch> }, b: Batch) => argmaxRows(await c.predict(b)).filter((v, i) => v === labels[i]).length / labels.length;

/** Counts backward calls of a squeezer. */
class Spy implements Squeezer {
  readonly kind = 'squeezer';
  backwards = 0;
  constructor(readonly inner: Squeezer) {}
  get id() { return this.inner.id; }
  get spec() { return this.inner.spec; }
  get gradient() { return this.inner.gradient; }
  apply(b: Batch, s: FeatureSpace) { return this.inner.apply(b, s); }
  backward(a: Batch, y: Batch, g: Batch, s: FeatureSpace) {
    this.backwards++;
    return this.inner.backward(a, y, g, s);
  }
}

describe('He et al. adaptive attack (faithful)', () => {
  it('drives plain feature squeezing to low adversarial accuracy with detector scores under T', async () => {
    expect(await accuracy(model, x)).toBe(1);
    expect(threshold).toBeLessThan(0.05);
    const r = await new HeAdaptive(settings, squeezers).run(model, x, labels);
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
    const scores = await detector.scores(r.adversarial);
    r.success.forEach((s, i) => s && expect(scores[i]!).toBeLessThanOrEqual(threshold + 1e-6));
    expect(await accuracy(model, r.adversarial)).toBeLessThanOrEqual(0.25);
    for (const s of squeezers) expect(await accuracy(defend(model, { squeeze: [s] }), r.adversarial)).toBeLessThanOrEqual(0.3);
  });

  it('differentiates through the median, gets zero gradient from rounding', async () => {
    const bit = new Spy(new BitDepth(1));
    const median = new Spy(new Median(2));
    await new HeAdaptive({ ...settings, iterations: 3, binarySteps: 1 }, [bit, median]).run(model, x, labels);
    expect(bit.backwards).toBe(0);
    expect(median.backwards).toBe(3);
  });

  it('refuses a randomized model', async () => {
    const noisy = defend(model, { randomize: new UniformNoise(0.2), keys: derivedKeys('00112233445566778899aabbccddeeff') });
    await expect(new HeAdaptive(settings, squeezers).run(noisy, x, labels, { surface: 'bpda' })).rejects.toThrow(CapabilityError);
  });

  it('reads its squeezers from the spec with the registry it is used on', () => {
    const reg = new Registry().use(squeezersPlugin).use(attacksPlugin);
    const he = reg.create<HeAdaptive>('attack', 'he:squeezers=bit-depth:1+median:2x2,threshold=0.002915');
    expect(he.squeezers.map((s) => s.spec)).toEqual(['bit-depth:1', 'median:2x2']);
    expect(he.spec).toBe('he:squeezers=bit-depth:1+median:2x2,threshold=0.002915,confidence=0,lr=0.09,iterations=5000,binarySteps=9,initialConst=1,abortEarly=true');
    expect(reg.create<HeAdaptive>('attack', 'he:mnist').params.threshold).toBe(0.002915);
    expect(() => reg.create('attack', 'he:squeezers=blur:3')).toThrow(UnknownComponentError);
    expect(() => reg.create('attack', 'he:squeezers=median:2x2,threshold=3')).toThrow(/threshold/);
  });
});

describe('He et al. strengthened (he-eot) against Mix\'n\'Squeeze', () => {
  const keys = () => derivedKeys('00112233445566778899aabbccddeeff');
  const attack = new HeEot({ draws: 4, rate: 1, restarts: 2, restartRadius: 0.1, confidence: 1, lr: 0.09, iterations: 40, binarySteps: 3, initialConst: 1, abortEarly: true });

  it('attacks the randomized defense with EOT by default and fools most fresh draws; replayable under seeds', async () => {
    const mns = defend(model, { randomize: new UniformNoise(0.2), squeeze: [new Median(2)], keys: keys() });
    const r = await attack.run(mns, x, labels, { seed: '3' });
    expect(r.surface).toBe('eot:4');
    let wrong = 0;
    for (let t = 0; t < 5; t++) wrong += 16 - (await accuracy(mns, r.adversarial)) * 16;
    expect(wrong / 80).toBeGreaterThan(0.6);
    const again = await attack.run(defend(model, { randomize: new UniformNoise(0.2), squeeze: [new Median(2)], keys: keys() }), x, labels, { seed: '3' });
    expect(again.adversarial.data).toEqual(r.adversarial.data);
  });
});
