import { describe, expect, it } from 'vitest';
import { type Batch, CapabilityError, type FeatureSpace, Registry, featureSpace, type Squeezer, UnknownComponentError, argmaxRows, derivedKeys, imageSpace, sliceBatch } from '@mixnsqueeze/core';
import { BitDepth, Median, SqueezeDetector, UniformNoise, defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { type AttackContext } from '../src/attack-base.ts';
import { HeAdaptive } from '../src/attacks/he-adaptive.ts';
import { HeConstSearch } from '../src/binary-search.ts';
import { type IterateObjective, type L2SearchSettings, l2TanhSearch } from '../src/l2-search.ts';
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
// The reference's rules (search he, decideBy final, encoding he, no abort early) on a reduced budget.
const settings = { threshold, confidence: 0, lr: 0.09, iterations: 100, binarySteps: 5, initialConst: 1 };
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

/** A squeezer that claims an exact gradient and returns 0 for it: its rows are back-propagated, then discarded. */
class ZeroBackward extends Spy {
  override get gradient() { return 'exact' as const; }
  override backward(a: Batch, y: Batch, g: Batch, s: FeatureSpace) {
    super.backward(a, y, g, s);
    return { data: new Float32Array(a.data.length), shape: a.shape };
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
    // 3 iterates before their Adam updates, and the final one (He et al. evaluate it after the loop).
    expect(median.backwards).toBe(4);
  });

  it('runs the views whose gradient it discards forward only; the same result as back-propagating them', async () => {
    const short = { ...settings, iterations: 30, binarySteps: 2 };
    const evaluations = 2 * (30 + 1);
    const r = await new HeAdaptive(short, squeezers).run(model, x, labels);
    // Gradient rows: the iterates and their median copies; the bit-depth copies go forward only.
    expect(r.queries.gradient).toBe(evaluations * 2 * 16);
    // Forward rows: all three views per evaluation, and the final check of the adversarial examples.
    expect(r.queries.forward).toBe(evaluations * 3 * 16 + 16);
    // The previous formulation back-propagated the bit-depth rows in the one gradient call and
    // discarded their gradient: a bit depth that claims an exact gradient of 0 does the same.
    const discarded = new ZeroBackward(new BitDepth(1));
    const before = await new HeAdaptive(short, [discarded, new Median(2)]).run(model, x, labels);
    expect(discarded.backwards).toBe(evaluations);
    expect(before.queries.gradient).toBe(evaluations * 3 * 16);
    expect(before.queries.forward).toBe(r.queries.forward);
    expect(r.adversarial.data).toEqual(before.adversarial.data);
    expect(r.success).toEqual(before.success);
    expect(r.success.some((v) => v === 1)).toBe(true);
    // A rounding view between two exact ones keeps its place in the objective.
    const three = [new Median(2), new BitDepth(1), new Median(3)];
    const mixed = await new HeAdaptive(short, three).run(model, x, labels);
    const mixedBefore = await new HeAdaptive(short, [three[0]!, new ZeroBackward(three[1]!), three[2]!]).run(model, x, labels);
    expect(mixed.queries.gradient).toBe(evaluations * 3 * 16);
    expect(mixed.adversarial.data).toEqual(mixedBefore.adversarial.data);
    expect(mixed.success).toEqual(mixedBefore.success);
  });

  it('refuses a randomized model', async () => {
    const noisy = defend(model, { randomize: new UniformNoise(0.2), keys: derivedKeys('00112233445566778899aabbccddeeff') });
    await expect(new HeAdaptive(settings, squeezers).run(noisy, x, labels, { surface: 'bpda' })).rejects.toThrow(CapabilityError);
  });

  it('reads its squeezers from the spec with the registry it is used on', () => {
    const reg = new Registry().use(squeezersPlugin).use(attacksPlugin);
    const he = reg.create<HeAdaptive>('attack', 'he:squeezers=bit-depth:1+median:2x2,threshold=0.002915');
    expect(he.squeezers.map((s) => s.spec)).toEqual(['bit-depth:1', 'median:2x2']);
    expect(he.spec).toBe(
      'he:squeezers=bit-depth:1+median:2x2,threshold=0.002915,confidence=0,lr=0.09,iterations=5000,binarySteps=9,initialConst=1,abortEarly=false,search=he,decideBy=final,encoding=he',
    );
    expect(reg.create<HeAdaptive>('attack', 'he:mnist').params).toMatchObject({
      threshold: 0.002915,
      iterations: 5000,
      binarySteps: 9,
      initialConst: 1,
      lr: 0.09,
      abortEarly: false,
      search: 'he',
      decideBy: 'final',
      encoding: 'he',
    });
    expect(() => reg.create('attack', 'he:squeezers=blur:3')).toThrow(UnknownComponentError);
    expect(() => reg.create('attack', 'he:squeezers=median:2x2,threshold=3')).toThrow(/threshold/);
  });
});

describe("He et al.'s search, as adaptive_adversary.py runs it", () => {
  it('moves c in log space from c = 1: +2.3 until a success, -0.69 until a failure, then the midpoint (geometric bisection)', () => {
    const s = new HeConstSearch(2, 1);
    const logs = () => Array.from(s.c, Math.log);
    expect(Array.from(s.c)).toEqual([1, 1]);
    const steps: [number, number][] = [
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 1],
    ];
    // Sample 0 fails, fails, succeeds, succeeds, fails; sample 1 succeeds, succeeds, fails, succeeds, succeeds.
    const want = [
      [2.3, -0.69],
      [4.6, -1.38],
      [(4.6 + 2.3) / 2, (-1.38 + -0.69) / 2],
      [(3.45 + 2.3) / 2, (-1.035 + -1.38) / 2],
      [(3.45 + 2.875) / 2, (-1.2075 + -1.38) / 2],
    ];
    steps.forEach((ok, t) => {
      s.update(Uint8Array.from(ok));
      logs().forEach((v, i) => expect(v).toBeCloseTo(want[t]![i]!, 5));
    });
    // c reaches the loss as float32, as their placeholder does.
    expect(s.c[0]).toBe(Math.fround(Math.exp(3.1625)));
  });

  /**
   * A scripted attack term: f = 0 with zero gradient, and per call (one per iterate) the success
   * and fooling flags of each sample, so the search's decisions are visible in `consts`.
   */
  function scripted(script: (call: number, sample: number) => { success: boolean; fools: boolean }, seen: Float32Array[]): IterateObjective {
    let call = 0;
    return async (xs, rows) => {
      seen.push(xs.data.slice());
      const m = rows.length;
      const flags = Array.from(rows, (i) => script(call, i));
      call++;
      return {
        value: new Float64Array(m),
        grad: new Float32Array(xs.data.length),
        success: Uint8Array.from(flags, (f) => Number(f.success)),
        fools: Uint8Array.from(flags, (f) => Number(f.fools)),
      };
    };
  }
  const context = (x: Batch): AttackContext =>
    ({ x, space: featureSpace([3]), checkAborted: () => undefined, progress: () => undefined }) as unknown as AttackContext;
  const base: L2SearchSettings = { lr: 0.01, iterations: 3, binarySteps: 3, initialConst: 1, abortEarly: false };
  const x = { data: Float32Array.of(0, 1, 0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5), shape: [3, 3] };
  // Per search step: calls 0-2 are the iterates before each update, call 3 the final iterate (final mode).
  // Sample 0: only the second iterate of a step succeeds. Sample 1: only the final iterate succeeds.
  // Sample 2: the final iterate fools the classifier but fails the detector.
  const script = (call: number, i: number) => {
    const k = call % 4;
    if (i === 0) return { success: k === 1, fools: k === 1 };
    if (i === 1) return { success: k === 3, fools: k === 3 };
    return { success: false, fools: k === 3 };
  };

  it('decideBy final: c follows the final iterate alone (classifier only); that iterate is evaluated and kept', async () => {
    const seen: Float32Array[] = [];
    const r = await l2TanhSearch(context(x), scripted(script, seen), { ...base, search: 'he', decideBy: 'final', encoding: 'he' });
    expect(seen.length).toBe(3 * 4);
    const c = (step: number) => Array.from(r.consts.subarray(step * 3, step * 3 + 3), Math.log);
    expect(c(0)).toEqual([0, 0, 0]);
    // Sample 0 succeeded mid-step but its final iterate did not: a failure, c up. Samples 1 and 2: successes, c down.
    expect(c(1).map((v) => +v.toFixed(5))).toEqual([2.3, -0.69, -0.69]);
    expect(c(2).map((v) => +v.toFixed(5))).toEqual([4.6, -1.38, -1.38]);
    expect(Array.from(r.found)).toEqual([1, 1, 0]);
    // He et al.'s encoding: the first iterate is x pulled towards 0.5 by a factor 1 / 1.002.
    for (let j = 0; j < 9; j++) expect(seen[0]![j]).toBeCloseTo(0.5 + (x.data[j]! - 0.5) / 1.002, 6);
    // A sample with no qualifying iterate comes back as the clean input.
    expect(Array.from(r.adversarial.subarray(6, 9))).toEqual([0.5, 0.5, 0.5]);
  });

  it('decideBy any (CW): c follows whether any iterate succeeded; the final iterate is never evaluated', async () => {
    const seen: Float32Array[] = [];
    const r = await l2TanhSearch(context(x), scripted((call, i) => script(Math.floor(call / 3) * 4 + (call % 3), i), seen), { ...base, search: 'he', decideBy: 'any', encoding: 'anchored' });
    expect(seen.length).toBe(3 * 3);
    const c = (step: number) => Array.from(r.consts.subarray(step * 3, step * 3 + 3), (v) => +Math.log(v).toFixed(5));
    expect(c(1)).toEqual([-0.69, 2.3, 2.3]);
    expect(Array.from(r.found)).toEqual([1, 0, 0]);
    expect(Array.from(seen[0]!)).toEqual(Array.from(x.data));
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
