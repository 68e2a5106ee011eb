import { describe, expect, it } from 'vitest';
import { KeyedPrg, VALUES_PER_NONCE } from '../src/keyed-prg.ts';
import { KeyError } from '../src/errors.ts';
import { derivedKeys } from '../src/key-schedule.ts';
import { PRG_ISSUE } from '../src/prg-issue.ts';

const ZERO_KEY = new Uint8Array(32);

/** A generator under a chosen raw key, to pin RFC 8439 vectors: core's own tests hold the internal token. */
const prgOf = (key: Uint8Array) => new KeyedPrg(PRG_ISSUE, key);

describe('KeyedPrg', () => {
  it('is ChaCha20: block 0 under the zero key and zero nonce is RFC 8439 test vector A.1 #1', () => {
    const w = new Uint32Array(4);
    prgOf(ZERO_KEY).words(w);
    // Keystream bytes 76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28, read little endian.
    expect([...w].map((v) => v.toString(16))).toEqual(['ade0b876', '903df1a0', 'e56a5d40', '28bd8653']);
  });

  it('maps the top 24 bits of each word to the centre of its cell in (0, 1)', () => {
    const w = new Uint32Array(8);
    const u = new Float64Array(8);
    prgOf(ZERO_KEY).words(w);
    prgOf(ZERO_KEY).uniform(u);
    for (let i = 0; i < 8; i++) expect(u[i]).toBe(((w[i]! >>> 8) + 0.5) / 2 ** 24);
  });

  it('gives the same stream however the reads are split, across nonce blocks', () => {
    const n = VALUES_PER_NONCE * 2 + 123;
    const whole = new Float64Array(n);
    prgOf(ZERO_KEY).uniform(whole);
    const prg = prgOf(ZERO_KEY);
    const parts = new Float64Array(n);
    for (let i = 0; i < n; i += 1000) prg.uniform(parts.subarray(i, Math.min(n, i + 1000)));
    expect(parts).toEqual(whole);
  });

  it('uses a fresh nonce per block: blocks do not repeat', () => {
    const u = new Float64Array(VALUES_PER_NONCE * 2);
    prgOf(ZERO_KEY).uniform(u);
    expect(u.subarray(0, 64)).not.toEqual(u.subarray(VALUES_PER_NONCE, VALUES_PER_NONCE + 64));
  });

  it('is uniform: mean, variance and a 64-bin chi-square within tolerance (fixed key, 1e6 values)', () => {
    const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const n = 1_000_000;
    const u = new Float64Array(n);
    prgOf(key).uniform(u);
    let mean = 0;
    for (const v of u) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of u) variance += (v - mean) ** 2;
    variance /= n;
    // Standard errors: sqrt(1/12/n) = 2.9e-4 for the mean, ~8.9e-5 for the variance; 5 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(1.5e-3);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4.5e-4);
    const bins = new Float64Array(64);
    for (const v of u) bins[Math.floor(v * 64)]!++;
    const e = n / 64;
    let chi2 = 0;
    for (const b of bins) chi2 += (b - e) ** 2 / e;
    // 63 degrees of freedom: P(chi2 > 110) < 1e-4.
    expect(chi2).toBeLessThan(110);
    expect(u.reduce((a, b) => Math.min(a, b), 1)).toBeGreaterThan(0);
    expect(u.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(1);
  });

  it('streams under different keys are uncorrelated', () => {
    const n = 200_000;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    prgOf(new Uint8Array(32).fill(1)).uniform(a);
    prgOf(new Uint8Array(32).fill(2)).uniform(b);
    let c = 0;
    for (let i = 0; i < n; i++) c += (a[i]! - 0.5) * (b[i]! - 0.5);
    const corr = c / n / (1 / 12);
    // Standard error 1/sqrt(n) = 2.2e-3; 5 sigma.
    expect(Math.abs(corr)).toBeLessThan(0.012);
  });

  it('refuses keys that are not 256 bits', () => {
    expect(() => prgOf(new Uint8Array(16))).toThrow(KeyError);
  });

  it('is made by key schedules only: without the token, or as a subclass, construction is a KeyError', () => {
    const Ctor = KeyedPrg as unknown as new (...args: unknown[]) => object;
    expect(() => new Ctor(ZERO_KEY)).toThrow(/key schedules only; use osKeys\(\)\.next\(\) or derivedKeys\(seed\)\.next\(\)/);
    class Sub extends Ctor {
      constructor() {
        super(PRG_ISSUE, ZERO_KEY);
      }
    }
    expect(() => new Sub()).toThrow(KeyError);
  });

  it('tells generators from look-alikes by their private key, and is frozen', () => {
    const prg = derivedKeys('000102030405060708090a0b0c0d0e0f').next();
    expect(KeyedPrg.isGenuine(prg)).toBe(true);
    const lookAlike = { words: prg.words, uniform: prg.uniform };
    expect(KeyedPrg.isGenuine(lookAlike)).toBe(false);
    expect(() => KeyedPrg.assertGenuine(lookAlike, 'test')).toThrow(/^test: expected a generator made by a key schedule/);
    expect(() => lookAlike.uniform(new Float64Array(2))).toThrow(KeyError);
    for (const o of [prg, KeyedPrg, KeyedPrg.prototype]) expect(Object.isFrozen(o)).toBe(true);
  });
});
