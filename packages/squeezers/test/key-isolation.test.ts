import { afterEach, describe, expect, it } from 'vitest';
import {
  type Batch,
  type Classifier,
  type DifferentiableClassifier,
  DerivedKeySchedule,
  KeyError,
  KeyedPrg,
  derivedKeys,
  featureSpace,
  imageSpace,
  osKeys,
  tabularSpace,
} from '@mixnsqueeze/core';
import { BitDepth } from '../src/bit-depth.ts';
import { DefendedClassifier, DifferentiableDefendedClassifier, defend } from '../src/defense.ts';
import { GaussianNoise } from '../src/gaussian-noise.ts';
import { Median } from '../src/median.ts';
import { UniformNoise } from '../src/uniform-noise.ts';

// What an attack plugin holding a defended classifier could try (issue 15): hand a randomizer a
// generator of its own, make or subclass one, patch a prototype, swap a part of the defense, or
// patch the model. Every attempt must fail loudly and leave the defense's draws as they were.

const SEED = '5eed5eed5eed5eed5eed5eed5eed5eed';
const ATTACKER_SEED = 'a77ac4e2a77ac4e2a77ac4e2a77ac4e2';
const space = imageSpace(4, 4, 1);

/** logits = (sum, -sum) of the features: a tiny classifier over a typed array. */
class Tiny implements DifferentiableClassifier {
  readonly space = space;
  readonly classes = 2;
  readonly stochastic = false;
  async predict(x: Batch): Promise<Batch> {
    const n = x.shape[0]!;
    const d = x.data.length / n;
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x.data[i * d + j]! * (j + 1);
      out[2 * i] = s;
      out[2 * i + 1] = -s;
    }
    return { data: out, shape: [n, 2] };
  }
  async vjp(x: Batch, g: Batch): Promise<Batch> {
    const n = x.shape[0]!;
    const d = x.data.length / n;
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (g.data[2 * i]! - g.data[2 * i + 1]!) * (j + 1);
    return { data: out, shape: x.shape };
  }
}

/** A plain (not differentiable) classifier: Tiny without vjp. */
class TinyPlain implements Classifier {
  readonly space = space;
  readonly classes = 2;
  readonly stochastic = false;
  predict(x: Batch): Promise<Batch> {
    return Tiny.prototype.predict.call(this, x);
  }
}

const inputs = (n: number): Batch => ({ data: Float32Array.from({ length: n * 16 }, (_, i) => ((i * 37) % 17) / 16), shape: [n, 4, 4, 1] });
const mnsOptions = () => ({ randomize: new UniformNoise(0.3), squeeze: [new Median(2)], keys: derivedKeys(SEED) });

/** A duck-typed generator that keeps every array it is handed. */
function recordingGenerator(): { seen: ArrayBufferView[]; words(out: Uint32Array): void; uniform(out: Float32Array | Float64Array): void } {
  const seen: ArrayBufferView[] = [];
  return {
    seen,
    words(out) {
      seen.push(out);
      out.fill(0);
    },
    uniform(out) {
      seen.push(out);
      out.fill(0.5);
    },
  };
}

/** Undo list of the patches that took effect (on code that lets them), so one test's damage stays in it. */
const undo: (() => void)[] = [];
afterEach(() => {
  while (undo.length) undo.pop()!();
});

/** Tries `target[key] = value`; true when it threw. A patch that took effect is undone after the test. */
function tryPatch(target: object, key: PropertyKey, value: unknown): boolean {
  const before = Object.getOwnPropertyDescriptor(target, key);
  try {
    (target as Record<PropertyKey, unknown>)[key] = value;
  } catch (e) {
    expect(e).toBeInstanceOf(TypeError);
    return true;
  }
  undo.push(() => (before ? Reflect.defineProperty(target, key, before) : Reflect.deleteProperty(target, key)));
  return false;
}

describe('randomizers take only generators made by a key schedule', () => {
  const tabular = tabularSpace([
    { name: 'a', lo: 0, hi: 1 },
    { name: 'b', lo: 0, hi: 1 },
  ]);
  const cases: [string, (prg: unknown) => void][] = [
    ['uniform', (prg) => new UniformNoise(0.3).apply(inputs(2), space, prg as KeyedPrg)],
    ['gaussian', (prg) => new GaussianNoise(0.1).apply(inputs(2), space, prg as KeyedPrg)],
    ['uniform, tabular', (prg) => new UniformNoise(0.3).apply({ data: new Float32Array(4).fill(0.5), shape: [2, 2] }, tabular, prg as KeyedPrg)],
  ];

  for (const [name, apply] of cases) {
    it(`${name}: a duck-typed generator is refused with a KeyError and is handed no array`, () => {
      const fake = recordingGenerator();
      expect(() => apply(fake)).toThrow(KeyError);
      expect(() => apply(Object.create(KeyedPrg.prototype))).toThrow(KeyError);
      expect(() => apply(undefined)).toThrow(KeyError);
      // Had it been handed the randomizer's scratch, a later genuine call would fill it for the attacker.
      apply(derivedKeys(SEED).next());
      expect(fake.seen).toEqual([]);
    });
  }

  it('KeyedPrg.prototype.uniform run on a fake `this` hands it nothing (the shared scratch stays private)', () => {
    const fake = recordingGenerator();
    expect(() => KeyedPrg.prototype.uniform.call(fake as unknown as KeyedPrg, new Float64Array(4))).toThrow(KeyError);
    expect(() => KeyedPrg.prototype.words.call(fake as unknown as KeyedPrg, new Uint32Array(4))).toThrow(KeyError);
    expect(fake.seen).toEqual([]);
  });

  it('the refusal is one line that says where generators come from', () => {
    let message = 'no error';
    try {
      new UniformNoise(0.3).apply(inputs(1), space, recordingGenerator() as unknown as KeyedPrg);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toContain('\n');
    expect(message).toMatch(/osKeys\(\)\.next\(\) or derivedKeys\(seed\)\.next\(\)/);
  });
});

describe('generators are made by key schedules only', () => {
  it('direct construction is a KeyError that names osKeys() and derivedKeys()', () => {
    const Ctor = KeyedPrg as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(new Uint8Array(32))).toThrow(KeyError);
    expect(() => new Ctor(new Uint8Array(32))).toThrow(/osKeys\(\).*derivedKeys\(/);
    expect(() => new Ctor(Symbol('guess'), new Uint8Array(32))).toThrow(KeyError);
  });

  it('a subclass cannot be constructed', () => {
    const Ctor = KeyedPrg as unknown as new (...args: unknown[]) => object;
    class Evil extends Ctor {
      constructor() {
        super(new Uint8Array(32));
      }
    }
    expect(() => new Evil()).toThrow(KeyError);
  });

  it('isGenuine tells generators of the key schedules from look-alikes', () => {
    expect(KeyedPrg.isGenuine(derivedKeys(SEED).next())).toBe(true);
    expect(KeyedPrg.isGenuine(osKeys().next())).toBe(true);
    expect(KeyedPrg.isGenuine(recordingGenerator())).toBe(false);
    expect(KeyedPrg.isGenuine(Object.create(KeyedPrg.prototype))).toBe(false);
    expect(KeyedPrg.isGenuine(new Proxy(derivedKeys(SEED).next(), {}))).toBe(false);
    expect(KeyedPrg.isGenuine(null)).toBe(false);
  });
});

describe('no method of a generator, key schedule or component can be patched', () => {
  const osSchedule = Object.getPrototypeOf(osKeys()) as object;
  const targets: [string, object, PropertyKey][] = [
    ['KeyedPrg.prototype.words', KeyedPrg.prototype, 'words'],
    ['KeyedPrg.prototype.uniform', KeyedPrg.prototype, 'uniform'],
    ['KeyedPrg.isGenuine', KeyedPrg, 'isGenuine'],
    ['OsKeySchedule.prototype.next', osSchedule, 'next'],
    ['DerivedKeySchedule.prototype.next', DerivedKeySchedule.prototype, 'next'],
    ['DerivedKeySchedule.prototype.fork', DerivedKeySchedule.prototype, 'fork'],
    ['UniformNoise.prototype.apply', UniformNoise.prototype, 'apply'],
    ['GaussianNoise.prototype.apply', GaussianNoise.prototype, 'apply'],
    ['Median.prototype.apply', Median.prototype, 'apply'],
    ['BitDepth.prototype.apply', BitDepth.prototype, 'apply'],
    ['DefendedClassifier.prototype.predict', DefendedClassifier.prototype, 'predict'],
    ['DefendedClassifier.prototype.preprocess', DefendedClassifier.prototype, 'preprocess'],
    ['DifferentiableDefendedClassifier.prototype.vjpWith', DifferentiableDefendedClassifier.prototype, 'vjpWith'],
  ];
  for (const [name, target, key] of targets) {
    it(`assigning ${name} throws`, () => {
      expect(tryPatch(target, key, () => undefined)).toBe(true);
      expect(Object.isFrozen(target)).toBe(true);
    });
  }

  it('generator and schedule instances are frozen: no own method, no new prototype', () => {
    const prg = derivedKeys(SEED).next();
    expect(tryPatch(prg, 'words', () => undefined)).toBe(true);
    expect(() => Object.setPrototypeOf(prg, {})).toThrow(TypeError);
    const keys = derivedKeys(SEED);
    expect(tryPatch(keys, 'next', () => derivedKeys(ATTACKER_SEED).next())).toBe(true);
    expect(tryPatch(osKeys(), 'next', () => derivedKeys(ATTACKER_SEED).next())).toBe(true);
  });
});

describe("a defense's parts cannot be swapped", () => {
  it('assigning the randomizer, base, a squeezer or their methods throws', () => {
    const d = defend(new Tiny(), mnsOptions());
    expect(tryPatch(d, 'randomizer', new UniformNoise(0))).toBe(true);
    expect(tryPatch(d, 'base', new Tiny())).toBe(true);
    expect(tryPatch(d, 'predict', async (x: Batch) => x)).toBe(true);
    expect(tryPatch(d.squeezers, 0, new BitDepth(8))).toBe(true);
    expect(tryPatch(d.randomizer!, 'apply', (x: Batch) => x)).toBe(true);
    expect(tryPatch(d.randomizer!, 'delta', 0)).toBe(true);
    expect(tryPatch(d.squeezers[0]!, 'apply', (x: Batch) => x)).toBe(true);
  });

  it('a plugin-written component is frozen, up its prototype chain, once a defense holds it', () => {
    class Shift {
      readonly kind = 'squeezer' as const;
      readonly id = 'shift';
      readonly spec = 'shift';
      readonly gradient = 'exact' as const;
      apply(x: Batch): Batch {
        return x;
      }
      backward(_x: Batch, _y: Batch, g: Batch): Batch {
        return g;
      }
    }
    class Shift2 extends Shift {}
    const s = new Shift2();
    defend(new Tiny(), { squeeze: [s] });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(Shift2.prototype)).toBe(true);
    expect(Object.isFrozen(Shift.prototype)).toBe(true);
    expect(Object.isFrozen(Object.prototype)).toBe(false);
  });
});

describe('the model is captured at construction', () => {
  it('patching predict or vjp on the base or its prototype after defend() sees no defended input', async () => {
    const base = new Tiny();
    const d = defend(base, mnsOptions());
    const twin = defend(new Tiny(), mnsOptions());
    const seen: Batch[] = [];
    const spy = async (x: Batch) => (seen.push(x), { data: new Float32Array(2 * x.shape[0]!), shape: [x.shape[0]!, 2] });
    tryPatch(base, 'predict', spy);
    tryPatch(base, 'vjp', spy);
    tryPatch(Tiny.prototype, 'predict', spy);
    tryPatch(Tiny.prototype, 'vjp', spy);
    const x = inputs(2);
    const g: Batch = { data: Float32Array.of(1, 0, 0, 1), shape: [2, 2] };
    expect((await d.predict(x)).data).toEqual((await twin.predict(x)).data);
    expect((await d.vjp(x, g)).data).toEqual((await twin.vjp(x, g)).data);
    const same = await d.vjpWith(x, () => g);
    const sameTwin = await twin.vjpWith(x, () => g);
    expect(same.logits.data).toEqual(sameTwin.logits.data);
    expect(seen).toEqual([]);
  });

  it('the same holds for a base without gradients', async () => {
    const base = new TinyPlain();
    const d = defend(base, mnsOptions());
    const twin = defend(new TinyPlain(), mnsOptions());
    const seen: Batch[] = [];
    tryPatch(base, 'predict', async (x: Batch) => (seen.push(x), x));
    expect((await d.predict(inputs(1))).data).toEqual((await twin.predict(inputs(1))).data);
    expect(seen).toEqual([]);
  });
});

describe('tampering leaves the draws of a seeded defense unchanged', () => {
  it('same predictions and pipeline outputs as an untouched twin, call after call', async () => {
    const x = inputs(3);
    const expected: Float32Array[] = [];
    {
      const twin = defend(new Tiny(), mnsOptions());
      for (let q = 0; q < 3; q++) expected.push((await twin.preprocess(x)).data, (await twin.predict(x)).data);
    }
    const base = new Tiny();
    const d = defend(base, mnsOptions());
    const [randomizer, squeezer] = [d.randomizer!, d.squeezers[0]!];
    const attacker = () => derivedKeys(ATTACKER_SEED).next();
    const identity = (z: Batch) => ({ data: Float32Array.from(z.data), shape: z.shape });
    const refused = [
      tryPatch(KeyedPrg.prototype, 'words', (out: Uint32Array) => out.fill(0)),
      tryPatch(KeyedPrg.prototype, 'uniform', (out: Float64Array) => out.fill(0.5)),
      tryPatch(DerivedKeySchedule.prototype, 'next', attacker),
      tryPatch(Object.getPrototypeOf(osKeys()) as object, 'next', attacker),
      tryPatch(UniformNoise.prototype, 'apply', identity),
      tryPatch(Median.prototype, 'apply', identity),
      tryPatch(d, 'randomizer', new UniformNoise(0)),
      tryPatch(d, 'squeezers', []),
      tryPatch(randomizer, 'apply', identity),
      tryPatch(squeezer, 'apply', identity),
      tryPatch(DefendedClassifier.prototype, 'preprocess', identity),
    ];
    tryPatch(base, 'predict', async (z: Batch) => ({ data: new Float32Array(2 * z.shape[0]!), shape: [z.shape[0]!, 2] }));
    expect(refused.every(Boolean)).toBe(true);
    const actual: Float32Array[] = [];
    for (let q = 0; q < 3; q++) actual.push((await d.preprocess(x)).data, (await d.predict(x)).data);
    expect(actual).toEqual(expected);
  });

  it('the noise is bit for bit what it was (pinned values under a derived key)', () => {
    const x: Batch = { data: new Float32Array(8).fill(0.5), shape: [1, 8] };
    const u = new UniformNoise(0.3).apply(x, featureSpace([8]), derivedKeys(SEED).next()).data;
    const g = new GaussianNoise(0.1).apply(x, featureSpace([8]), derivedKeys(SEED).next()).data;
    expect(u).toEqual(
      Float32Array.of(0.6437718868255615, 0.4281623661518097, 0.33459189534187317, 0.4216410219669342, 0.42697951197624207, 0.4333432912826538, 0.36970680952072144, 0.37360671162605286),
    );
    expect(g).toEqual(
      Float32Array.of(0.4432918429374695, 0.5530713200569153, 0.3821179270744324, 0.6264811158180237, 0.3931792378425598, 0.5896142721176147, 0.46111127734184265, 0.6540935039520264),
    );
  });
});
