import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Batch, ShapeError, featureSpace, imageSpace } from '@mixnsqueeze/core';
import { Binary } from '../src/binary.ts';
import { BitDepth } from '../src/bit-depth.ts';
import { Median } from '../src/median.ts';

/** Images with random geometry and values in [0, 1] (float32). */
const images = fc
  .record({ n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }), c: fc.constantFrom(1, 3) })
  .chain(({ n, h, w, c }) =>
    fc
      .array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: n * h * w * c, maxLength: n * h * w * c })
      .map((v): Batch => ({ data: Float32Array.from(v), shape: [n, h, w, c] })),
  );

const spaceOf = (x: Batch) => featureSpace(x.shape.slice(1));

/** Naive median filter straight from the definition in reference.md, for comparison. */
function naiveMedian(x: Batch, k: number): Float32Array {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const refl = (t: number, m: number) => {
    const p = ((t % (2 * m)) + 2 * m) % (2 * m);
    return p < m ? p : 2 * m - 1 - p;
  };
  const a = Math.floor(k / 2);
  const out = new Float32Array(x.data.length);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let ch = 0; ch < c; ch++) {
          const win: number[] = [];
          for (let di = i - a; di <= i + k - 1 - a; di++)
            for (let dj = j - a; dj <= j + k - 1 - a; dj++) win.push(x.data[((s * h + refl(di, h)) * w + refl(dj, w)) * c + ch]!);
          win.sort((p, q) => p - q);
          out[((s * h + i) * w + j) * c + ch] = win[Math.floor((k * k) / 2)]!;
        }
  return out;
}

describe('bit depth', () => {
  it('1-bit is the binary filter at 0.5: 0.5 maps to 0, anything above to 1', () => {
    const x: Batch = { data: Float32Array.of(0, 0.49, 0.5, 0.50000006, 1), shape: [1, 5] };
    expect([...new BitDepth(1).apply(x, spaceOf(x)).data]).toEqual([0, 0, 0, 1, 1]);
    expect([...new Binary(0.5).apply(x, spaceOf(x)).data]).toEqual([0, 0, 0, 1, 1]);
  });

  it('is idempotent and stays on its grid within [0, 1]', () => {
    fc.assert(
      fc.property(images, fc.integer({ min: 1, max: 8 }), (x, bits) => {
        const s = new BitDepth(bits);
        const y = s.apply(x, spaceOf(x));
        expect(s.apply(y, spaceOf(y)).data).toEqual(y.data);
        const levels = 2 ** bits - 1;
        for (const v of y.data) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
          expect(Math.abs(v * levels - Math.round(v * levels))).toBeLessThan(1e-4);
        }
      }),
    );
  });

  it('works relative to other bounds', () => {
    const x: Batch = { data: Float32Array.of(-1, -0.2, 0.2, 1), shape: [1, 4] };
    expect([...new BitDepth(1).apply(x, featureSpace([4], [-1, 1])).data]).toEqual([-1, -1, 1, 1]);
  });

  it('backward is the BPDA identity', () => {
    const x: Batch = { data: Float32Array.of(0.2, 0.7), shape: [1, 2] };
    const g: Batch = { data: Float32Array.of(3, -4), shape: [1, 2] };
    const s = new BitDepth(3);
    expect(s.backward(x, s.apply(x, spaceOf(x)), g).data).toEqual(g.data);
  });
});

describe('median', () => {
  it('equals the definition (window anchoring, symmetric padding, rank floor(k*k/2)) on random images', () => {
    fc.assert(
      fc.property(images, fc.integer({ min: 1, max: 5 }), (x, k) => {
        expect(new Median(k).apply(x, spaceOf(x)).data).toEqual(naiveMedian(x, k));
      }),
      { numRuns: 200 },
    );
  });

  it('2x2 takes the third smallest of four (upper middle), never an average', () => {
    const x: Batch = { data: Float32Array.of(0.1, 0.2, 0.3, 0.4), shape: [1, 2, 2, 1] };
    expect([...new Median(2).apply(x, spaceOf(x)).data]).toEqual([...Float32Array.of(0.1, 0.2, 0.3, 0.3)]);
  });

  it('leaves a constant image unchanged and output values come from the input', () => {
    fc.assert(
      fc.property(images, fc.integer({ min: 1, max: 4 }), (x, k) => {
        const y = new Median(k).apply(x, spaceOf(x));
        const values = new Set(x.data);
        for (const v of y.data) expect(values.has(v)).toBe(true);
        const flat: Batch = { data: new Float32Array(x.data.length).fill(x.data[0]!), shape: x.shape };
        expect(new Median(k).apply(flat, spaceOf(flat)).data).toEqual(flat.data);
      }),
    );
  });

  it('filters channels independently and reads chw layout', () => {
    const hwc: Batch = { data: Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => (i * 37) % 11 / 11), shape: [1, 3, 3, 2] };
    const chw: Batch = { data: new Float32Array(18), shape: [1, 2, 3, 3] };
    for (let p = 0; p < 9; p++) for (let c = 0; c < 2; c++) chw.data[c * 9 + p] = hwc.data[p * 2 + c]!;
    const a = new Median(3).apply(hwc, spaceOf(hwc));
    const b = new Median(3).apply(chw, featureSpace([2, 3, 3], [0, 1], { layout: 'chw' }));
    for (let p = 0; p < 9; p++) for (let c = 0; c < 2; c++) expect(b.data[c * 9 + p]).toBe(a.data[p * 2 + c]);
  });

  it('backward routes each output gradient to the element it selected (equals finite differences without ties)', () => {
    const k = 3;
    const x: Batch = { data: Float32Array.from({ length: 2 * 4 * 5 }, (_, i) => ((i * 7919) % 97) / 97 + i * 1e-4), shape: [2, 4, 5, 1] };
    const space = spaceOf(x);
    const m = new Median(k);
    const g: Batch = { data: Float32Array.from({ length: x.data.length }, (_, i) => Math.cos(i)), shape: x.shape };
    const grad = m.backward(x, m.apply(x, space), g, space).data;
    const f = (z: Batch) => m.apply(z, space).data.reduce((s, v, i) => s + v * g.data[i]!, 0);
    const eps = 1e-5;
    for (let i = 0; i < x.data.length; i++) {
      const up = { data: x.data.slice(), shape: x.shape };
      up.data[i] += eps;
      const dn = { data: x.data.slice(), shape: x.shape };
      dn.data[i] -= eps;
      expect((f(up) - f(dn)) / (up.data[i]! - dn.data[i]!)).toBeCloseTo(grad[i]!, 2);
    }
    // The gradient's total mass is preserved: each output sends all of its gradient somewhere.
    expect(grad.reduce((a, b) => a + b, 0)).toBeCloseTo(g.data.reduce((a, b) => a + b, 0), 4);
  });

  it('refuses data without a spatial layout', () => {
    const x: Batch = { data: new Float32Array(4), shape: [1, 4] };
    expect(() => new Median(2).apply(x, spaceOf(x))).toThrow(ShapeError);
    expect(() => new Median(2).apply(x, imageSpace(2, 2, 1))).toThrow(/needs a spatial layout/);
  });
});
