import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Batch, type Classifier, DerivedKeySchedule, KeyedPrg, LinearClassifier, derivedKeys, imageSpace, isDifferentiable } from '@mixnsqueeze/core';
import { BitDepth } from '../src/bit-depth.ts';
import { defend } from '../src/defense.ts';
import { Median } from '../src/median.ts';
import { UniformNoise } from '../src/uniform-noise.ts';

const SEED = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const space = imageSpace(4, 4, 1);

function model(): LinearClassifier {
  const w = Float64Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i * 1.7));
  return new LinearClassifier(space, w, Float64Array.of(0.1, -0.2, 0.05));
}

function digits(n: number): Batch {
  return { data: Float32Array.from({ length: n * 16 }, (_, i) => ((i * 37) % 17) / 16), shape: [n, 4, 4, 1] };
}

/** Collects every object reachable from `root` through properties, getters, prototypes and collections. */
function reachable(root: unknown): Set<unknown> {
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length) {
    const v = stack.pop();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Map) for (const [k, e] of v) stack.push(k, e);
    if (v instanceof Set) for (const e of v) stack.push(e);
    if (ArrayBuffer.isView(v)) stack.push(v.buffer);
    for (let o: object | null = v as object; o !== null && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
      stack.push(o);
      for (const key of Reflect.ownKeys(o)) {
        const d = Object.getOwnPropertyDescriptor(o, key)!;
        if ('value' in d) stack.push(d.value);
        else if (d.get) {
          try {
            stack.push(d.get.call(v));
          } catch {
            // getters that need another receiver
          }
        }
      }
    }
  }
  return seen;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('defend', () => {
  it('composes randomizer -> squeezers -> classifier, replayable with derived keys', async () => {
    const base = model();
    const x = digits(3);
    const d = defend(base, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)], keys: derivedKeys(SEED) });
    const manualKeys = derivedKeys(SEED);
    const manual = await base.predict(new Median(2).apply(new UniformNoise(0.5).apply(x, space, manualKeys.next()), space));
    expect((await d.predict(x)).data).toEqual(manual.data);
    expect(d.specs).toEqual(['uniform:0.5', 'median:2x2']);
    expect(d.stochastic).toBe(true);
  });

  it('delta = 0 reproduces plain feature squeezing bit for bit and is deterministic', async () => {
    const base = model();
    const x = digits(4);
    const plain = defend(base, { squeeze: [new BitDepth(1), new Median(3)] });
    const zero = defend(base, { randomize: new UniformNoise(0), squeeze: [new BitDepth(1), new Median(3)] });
    expect(zero.stochastic).toBe(false);
    expect((await zero.predict(x)).data).toEqual((await plain.predict(x)).data);
    expect(zero.preprocess(x).data).toEqual(new Median(3).apply(new BitDepth(1).apply(x, space), space).data);
  });

  it('fresh OS keys by default: two calls on the same input differ', () => {
    const d = defend(model(), { randomize: new UniformNoise(0.5) });
    const x = digits(2);
    expect(d.preprocess(x).data).not.toEqual(d.preprocess(x).data);
  });

  it('is differentiable exactly when the base is; vjp equals finite differences through noise and median', async () => {
    const base = model();
    const plainBase: Classifier = { space, classes: 3, stochastic: false, predict: (x) => base.predict(x) };
    expect(isDifferentiable(defend(plainBase))).toBe(false);
    const x = digits(1);
    x.data.forEach((_, i) => (x.data[i] = 0.2 + 0.6 * ((i * 0.618) % 1)));
    // The same key for every call makes the pipeline a fixed function to difference.
    const fixed = () => defend(base, { randomize: new UniformNoise(0.1), squeeze: [new Median(3)], keys: derivedKeys(SEED) });
    const g: Batch = { data: Float32Array.of(1, -2, 0.5), shape: [1, 3] };
    const grad = (await fixed().vjp(x, g)).data;
    const f = async (z: Batch) => (await fixed().predict(z)).data.reduce((s, v, i) => s + v * g.data[i]!, 0);
    for (let i = 0; i < 16; i++) {
      const eps = 1e-3;
      const up = { data: x.data.slice(), shape: x.shape };
      up.data[i] += eps;
      const dn = { data: x.data.slice(), shape: x.shape };
      dn.data[i] -= eps;
      expect(((await f(up)) - (await f(dn))) / (up.data[i]! - dn.data[i]!)).toBeCloseTo(grad[i]!, 2);
    }
  });

  it('rejects bad input before touching the model', async () => {
    const base = model();
    const d = defend(base, { randomize: new UniformNoise(0.5) });
    const bad = digits(1);
    bad.data[3] = Number.NaN;
    await expect(d.predict(bad)).rejects.toThrow(/NaN at sample 0, feature 3/);
    expect(base.forwardCount).toBe(0);
  });

  it("keys are unreachable: no object reachable from the defense holds the seed or any derived key", async () => {
    const d = defend(model(), { randomize: new UniformNoise(0.5), squeeze: [new Median(2)], keys: derivedKeys(SEED) });
    for (let i = 0; i < 3; i++) await d.predict(digits(2));
    const secrets = [Buffer.from(SEED, 'hex')];
    for (let q = 0; q < 3; q++) secrets.push(Buffer.from(hkdfSync('sha256', Buffer.from(SEED, 'hex'), 'mixnsqueeze/keys/v1', `root/call=${q}`, 32)));
    const objects = reachable(d);
    expect(objects.size).toBeGreaterThan(20);
    for (const o of objects) {
      const bytes =
        o instanceof ArrayBuffer ? new Uint8Array(o) : typeof o === 'string' ? Buffer.from(o as string) : undefined;
      if (!bytes) continue;
      for (const s of secrets) expect(contains(bytes, s)).toBe(false);
    }
    // Nor can an attacker draw the defense's next stream: no schedule or generator is reachable.
    expect([...objects].some((o) => o instanceof KeyedPrg || o instanceof DerivedKeySchedule)).toBe(false);
    // The walk does reach the model, so it is not vacuous.
    expect([...objects].some((o) => o === d.base)).toBe(true);
  });
});
