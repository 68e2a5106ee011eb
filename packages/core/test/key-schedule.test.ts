import { describe, expect, it } from 'vitest';
import { DerivedKeySchedule, derivedKeys, osKeys } from '../src/key-schedule.ts';
import { KeyedPrg } from '../src/keyed-prg.ts';
import { KeyError } from '../src/errors.ts';

const SEED = '000102030405060708090a0b0c0d0e0f';

function firstWords(prg: { words(out: Uint32Array): void }, n = 4): number[] {
  const w = new Uint32Array(n);
  prg.words(w);
  return [...w];
}

describe('key schedules', () => {
  it('derived keys replay: the same seed gives the same sequence of streams', () => {
    const a = derivedKeys(SEED);
    const b = derivedKeys(SEED);
    for (let i = 0; i < 5; i++) expect(firstWords(a.next())).toEqual(firstWords(b.next()));
    expect(a.calls).toBe(5);
  });

  it('derivation is pinned (HKDF-SHA256, salt mixnsqueeze/keys/v1, info root/call=0): results replay across versions', () => {
    expect(firstWords(derivedKeys(SEED).next(), 2).map((v) => v.toString(16))).toMatchInlineSnapshot(`
      [
        "8288b57",
        "2833453",
      ]
    `);
  });

  it('every call, fork and seed gives a different key', () => {
    const root = derivedKeys(SEED);
    const streams = [
      firstWords(root.next()),
      firstWords(root.next()),
      firstWords(root.fork('run=1').next()),
      firstWords(root.fork('run=2').next()),
      firstWords(root.fork('run=1').fork('sample=3').next()),
      firstWords(derivedKeys(`${SEED}ff`).next()),
    ];
    expect(new Set(streams.map((s) => s.join(','))).size).toBe(streams.length);
  });

  it('forks depend only on the seed and the label chain, not on how many keys the parent gave out', () => {
    const a = derivedKeys(SEED);
    a.next();
    a.next();
    expect(firstWords(a.fork('run=7').next())).toEqual(firstWords(derivedKeys(SEED).fork('run=7').next()));
    expect(derivedKeys(SEED).fork('run=7').label).toBe('root/run=7');
  });

  it('OS keys are fresh every call and not deterministic', () => {
    const k = osKeys();
    expect(k.deterministic).toBe(false);
    expect(firstWords(k.next())).not.toEqual(firstWords(k.next()));
    expect(derivedKeys(SEED).deterministic).toBe(true);
  });

  it('refuses short seeds and labels with a slash', () => {
    expect(() => derivedKeys('abcd')).toThrow(KeyError);
    expect(() => derivedKeys(SEED).fork('a/b')).toThrow(KeyError);
  });

  it('hand out genuine generators and are frozen: no next() can be swapped for one under a known key', () => {
    const os = osKeys();
    const derived = derivedKeys(SEED);
    expect(KeyedPrg.isGenuine(os.next())).toBe(true);
    expect(KeyedPrg.isGenuine(derived.fork('a').next())).toBe(true);
    const OsKeySchedule = (Object.getPrototypeOf(os) as { constructor: object }).constructor;
    for (const o of [os, Object.getPrototypeOf(os), OsKeySchedule, derived, DerivedKeySchedule.prototype, DerivedKeySchedule]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
    expect(() => {
      (DerivedKeySchedule.prototype as { next: unknown }).next = () => undefined;
    }).toThrow(TypeError);
  });
});
