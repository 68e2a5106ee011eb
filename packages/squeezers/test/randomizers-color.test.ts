import { describe, expect, it } from 'vitest';
import { derivedKeys, imageSpace } from '@mixnsqueeze/core';
import { UniformNoise } from '../src/uniform-noise.ts';

describe('uniform randomizer on color images (CIFAR-10 rows, delta 0.05)', () => {
  it('draws independent noise for every channel of every pixel (fixed key)', () => {
    const space = imageSpace(32, 32, 3);
    const x = { data: new Float32Array(32 * 32 * 3).fill(0.5), shape: [1, 32, 32, 3] };
    const y = new UniformNoise(0.05).apply(x, space, derivedKeys('05'.repeat(32)).next()).data;
    const noise = [0, 1, 2].map((c) => Float64Array.from({ length: 1024 }, (_, p) => y[p * 3 + c]! - 0.5));
    for (const r of noise) {
      // Float32 storage of 0.5 + r puts values up to half an ulp outside +-delta.
      for (const v of r) expect(Math.abs(v)).toBeLessThanOrEqual(0.05 + 1e-7);
      // U[-d, d] has sd d / sqrt(3); over 1,024 draws the sample mean's sd is about 0.0009.
      expect(Math.abs(r.reduce((s, v) => s + v, 0) / 1024)).toBeLessThan(0.004);
    }
    let equalChannels = 0;
    for (let p = 0; p < 1024; p++) if (noise[0]![p] === noise[1]![p] || noise[1]![p] === noise[2]![p]) equalChannels++;
    expect(equalChannels).toBe(0);
    // Correlation between channels of the same pixel: sd about 1 / sqrt(1024) = 0.03 if independent.
    const corr = (a: Float64Array, b: Float64Array) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += a[i]! * b[i]!;
        aa += a[i]! * a[i]!;
        bb += b[i]! * b[i]!;
      }
      return ab / Math.sqrt(aa * bb);
    };
    expect(Math.abs(corr(noise[0]!, noise[1]!))).toBeLessThan(0.12);
    expect(Math.abs(corr(noise[1]!, noise[2]!))).toBeLessThan(0.12);
    expect(Math.abs(corr(noise[0]!, noise[2]!))).toBeLessThan(0.12);
  });

  it('clips each channel at the bounds on its own', () => {
    const x = { data: Float32Array.from({ length: 3 * 64 }, (_, i) => [0, 1, 0.5][i % 3]!), shape: [1, 8, 8, 3] };
    const y = new UniformNoise(0.05).apply(x, imageSpace(8, 8, 3), derivedKeys('09'.repeat(32)).next()).data;
    for (let p = 0; p < 64; p++) {
      expect(y[p * 3]).toBeGreaterThanOrEqual(0);
      expect(y[p * 3]).toBeLessThanOrEqual(0.05 + 1e-7);
      expect(y[p * 3 + 1]).toBeLessThanOrEqual(1);
      expect(y[p * 3 + 1]).toBeGreaterThanOrEqual(0.95 - 1e-7);
      expect(Math.abs(y[p * 3 + 2]! - 0.5)).toBeLessThanOrEqual(0.05 + 1e-7);
    }
  });
});
