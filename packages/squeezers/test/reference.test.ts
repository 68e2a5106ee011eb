import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Batch, featureSpace } from '@mixnsqueeze/core';
import { BitDepth } from '../src/bit-depth.ts';
import { Median } from '../src/median.ts';

interface Case {
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/reference-squeezers.json', import.meta.url), 'utf8')) as {
  generator: string;
  median: (Case & { name: string; size: number })[];
  bitDepth: (Case & { bits: number })[];
};

const batch = (a: { shape: number[]; data: number[] }): Batch => ({ data: Float32Array.from(a.data), shape: a.shape });

describe(`squeezers match the reference code bit for bit (${fixtures.generator})`, () => {
  for (const c of fixtures.median) {
    it(`median ${c.size}x${c.size} on ${c.name} equals scipy.ndimage.median_filter(mode='reflect')`, () => {
      const x = batch(c.input);
      const y = new Median(c.size).apply(x, featureSpace(x.shape.slice(1)));
      expect(y.data).toEqual(Float32Array.from(c.output.data));
    });
  }

  for (const c of fixtures.bitDepth) {
    it(`bit depth ${c.bits} equals np.rint(x * L) / L in float32, ties to even`, () => {
      const x = batch(c.input);
      const y = new BitDepth(c.bits).apply(x, featureSpace(x.shape.slice(1)));
      expect(y.data).toEqual(Float32Array.from(c.output.data));
    });
  }

  it('the fixtures contain ties where rounding half up would differ', () => {
    let differing = 0;
    for (const c of fixtures.bitDepth) {
      const levels = 2 ** c.bits - 1;
      c.input.data.forEach((v, i) => {
        if (Math.fround(Math.round(Math.fround(v * levels)) / levels) !== Math.fround(c.output.data[i]!)) differing++;
      });
    }
    expect(differing).toBeGreaterThan(20);
  });
});
