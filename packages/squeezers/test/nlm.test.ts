import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { denoisePlanes } from '../src/nlm/core.ts';
import { labToLinearBgr, linearBgrToLab } from '../src/nlm/lab.ts';
import { nlmDenoiseColor } from '../src/nlm/nlm-color.ts';
import { nlmDenoiseGray } from '../src/nlm/nlm-gray.ts';

// Fixtures: OpenCV 4.6.0 (Debian 12 python3-opencv) outputs made by fixtures/make-nlm-fixtures.py.
// Tolerance everywhere: 0 (bit-exact), which the port reaches; docs/nlm.md.

interface Input {
  height: number;
  width: number;
  data: string;
}
interface Case {
  input: string;
  search: number;
  patch: number;
  h: number;
  hColor?: number;
  expected: string;
}
interface ImageFixture {
  opencv: string;
  inputs: Record<string, Input>;
  cases: Case[];
}
interface GrayFixture extends ImageFixture {
  pair: { input: string; height: number; width: number; cases: Omit<Case, 'input'>[] };
}
interface LabFixture {
  opencv: string;
  sha256LbgrToLab: string;
  sha256LabToLbgr: string;
  sample: string;
  sampleLbgrToLab: string;
  sampleLabToLbgr: string;
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/nlm/${name}`, import.meta.url), 'utf8')) as T;
}
function bytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
/** Number of differing values and the largest difference, for readable failures. */
function diff(got: Uint8Array, want: Uint8Array): { differing: number; max: number } {
  expect(got.length).toBe(want.length);
  let differing = 0;
  let max = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (d !== 0) differing++;
    if (d > max) max = d;
  }
  return { differing, max };
}
const exact = { differing: 0, max: 0 };
const label = (c: Case): string => `${c.input} nlm:${c.search}-${c.patch}-${c.h}${c.hColor !== undefined ? `/${c.hColor}` : ''}`;

const gray = load<GrayFixture>('gray.json');
const color = load<ImageFixture>('color.json');
const lab = load<LabFixture>('lab.json');

describe('nlmDenoiseGray vs OpenCV fastNlMeansDenoising', () => {
  it('fixtures come from OpenCV 4.6', () => {
    expect(gray.opencv).toBe('4.6.0');
    expect(gray.cases.length).toBeGreaterThan(50);
  });

  // One test over all cases: they alternate image sizes, which also exercises scratch reuse.
  it('is bit-exact on every fixture (28x28 images, 5x7, 1x1, 3x2, 1x9, 9x1; 10 settings)', () => {
    const failures: string[] = [];
    for (const c of gray.cases) {
      const inp = gray.inputs[c.input]!;
      const got = nlmDenoiseGray(bytes(inp.data), inp.height, inp.width, c.h, c.patch, c.search);
      const d = diff(got, bytes(c.expected));
      if (d.differing !== 0) failures.push(`${label(c)}: ${d.differing} values differ, max ${d.max}`);
    }
    expect(failures).toEqual([]);
  });

  it('is bit-exact on two planes sharing weights (the a/b pair of the color path, CV_8UC2)', () => {
    const { height, width } = gray.pair;
    const n = height * width;
    const pair = bytes(gray.pair.input);
    for (const c of gray.pair.cases) {
      const a = new Uint8Array(n);
      const b = new Uint8Array(n);
      for (let k = 0; k < n; k++) {
        a[k] = pair[2 * k]!;
        b[k] = pair[2 * k + 1]!;
      }
      denoisePlanes([a, b], height, width, c.h, c.patch, c.search, [a, b]);
      const got = new Uint8Array(2 * n);
      for (let k = 0; k < n; k++) {
        got[2 * k] = a[k]!;
        got[2 * k + 1] = b[k]!;
      }
      expect(diff(got, bytes(c.expected)), `pair nlm:${c.search}-${c.patch}-${c.h}`).toEqual(exact);
    }
  });
});

describe('nlmDenoiseColor vs OpenCV fastNlMeansDenoisingColored', () => {
  it('is bit-exact on every fixture (32x32x3 images, 5x7, 1x1, 3x2; 12 settings incl. hColor != h)', () => {
    expect(color.opencv).toBe('4.6.0');
    const failures: string[] = [];
    for (const c of color.cases) {
      const inp = color.inputs[c.input]!;
      const got = nlmDenoiseColor(bytes(inp.data), inp.height, inp.width, c.h, c.hColor!, c.patch, c.search);
      const d = diff(got, bytes(c.expected));
      if (d.differing !== 0) failures.push(`${label(c)}: ${d.differing} values differ, max ${d.max}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('OpenCV 8-bit LBGR <-> Lab', () => {
  it('matches cvtColor on a sample', () => {
    const s = bytes(lab.sample);
    const n = s.length / 3;
    const out = new Uint8Array(s.length);
    linearBgrToLab(s, out, n);
    expect(diff(out, bytes(lab.sampleLbgrToLab))).toEqual(exact);
    labToLinearBgr(s, out, n);
    expect(diff(out, bytes(lab.sampleLabToLbgr))).toEqual(exact);
  });

  it('matches cvtColor on all 2^24 inputs, both directions', () => {
    const n = 1 << 24;
    const all = new Uint8Array(n * 3);
    for (let v = 0, k = 0; v < n; v++, k += 3) {
      all[k] = v >>> 16;
      all[k + 1] = (v >>> 8) & 255;
      all[k + 2] = v & 255;
    }
    const out = new Uint8Array(n * 3);
    linearBgrToLab(all, out, n);
    expect(createHash('sha256').update(out).digest('hex')).toBe(lab.sha256LbgrToLab);
    labToLinearBgr(all, out, n);
    expect(createHash('sha256').update(out).digest('hex')).toBe(lab.sha256LabToLbgr);
  });
});

describe('NLM edge cases', () => {
  it('a 1x1 gray image is returned unchanged (only the centre weighs)', () => {
    for (const [s, p, h] of [[11, 3, 4], [13, 3, 2], [5, 3, 10], [3, 1, 0]] as const) {
      expect(Array.from(nlmDenoiseGray(Uint8Array.of(201), 1, 1, h, p, s))).toEqual([201]);
    }
  });

  it('a constant gray image stays constant, whatever its size and the settings', () => {
    for (const [hh, ww] of [[28, 28], [5, 7], [1, 9], [2, 3]] as const) {
      for (const v of [0, 1, 128, 254, 255]) {
        const out = nlmDenoiseGray(new Uint8Array(hh * ww).fill(v), hh, ww, 4, 3, 11);
        expect(out.every((x) => x === v), `${hh}x${ww} of ${v}`).toBe(true);
      }
    }
  });

  it('a constant color image stays uniform (its value is the Lab round trip, as in OpenCV)', () => {
    const px = Uint8Array.of(12, 200, 99);
    const rt = new Uint8Array(3);
    const labPx = new Uint8Array(3);
    linearBgrToLab(px, labPx, 1);
    labToLinearBgr(labPx, rt, 1);
    const img = new Uint8Array(6 * 5 * 3);
    for (let k = 0; k < img.length; k++) img[k] = px[k % 3]!;
    const out = nlmDenoiseColor(img, 6, 5, 4, 4, 3, 11);
    for (let k = 0; k < out.length; k++) expect(out[k]).toBe(rt[k % 3]);
  });

  it('writes into `out` when given, including in place', () => {
    const inp = gray.inputs['texture28']!;
    const want = nlmDenoiseGray(bytes(inp.data), 28, 28, 4, 3, 11);
    const out = new Uint8Array(784);
    expect(nlmDenoiseGray(bytes(inp.data), 28, 28, 4, 3, 11, out)).toBe(out);
    expect(out).toEqual(want);
    const inPlace = bytes(inp.data);
    expect(nlmDenoiseGray(inPlace, 28, 28, 4, 3, 11, inPlace)).toBe(inPlace);
    expect(inPlace).toEqual(want);

    const cin = color.inputs['texture32']!;
    const cwant = nlmDenoiseColor(bytes(cin.data), 32, 32, 4, 4, 3, 11);
    const cInPlace = bytes(cin.data);
    expect(nlmDenoiseColor(cInPlace, 32, 32, 4, 4, 3, 11, cInPlace)).toBe(cInPlace);
    expect(cInPlace).toEqual(cwant);
  });

  it('does not modify its input', () => {
    const inp = bytes(gray.inputs['edge28']!.data);
    const copy = inp.slice();
    nlmDenoiseGray(inp, 28, 28, 4, 3, 11);
    expect(inp).toEqual(copy);
  });
});

describe('NLM parameter checks', () => {
  const img = new Uint8Array(4 * 4);
  const cimg = new Uint8Array(4 * 4 * 3);
  const oneLineRangeError = (f: () => unknown): void => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message.length).toBeGreaterThan(0);
  };

  it('rejects even, zero, negative, fractional or huge windows', () => {
    for (const bad of [0, -1, -3, 2, 4, 3.5, Number.NaN, Infinity]) {
      oneLineRangeError(() => nlmDenoiseGray(img, 4, 4, 4, bad, 11));
      oneLineRangeError(() => nlmDenoiseGray(img, 4, 4, 4, 3, bad));
      oneLineRangeError(() => nlmDenoiseColor(cimg, 4, 4, 4, 4, bad, 11));
      oneLineRangeError(() => nlmDenoiseColor(cimg, 4, 4, 4, 4, 3, bad));
    }
    // Patch SSDs must fit an int32 (patch <= 127); the centre weight must stay >= 1 (search <= 2901).
    oneLineRangeError(() => nlmDenoiseGray(img, 4, 4, 4, 129, 1));
    oneLineRangeError(() => nlmDenoiseGray(img, 4, 4, 4, 3, 2903));
    expect(() => nlmDenoiseGray(img, 4, 4, 4, 127, 1)).not.toThrow();
    expect(() => nlmDenoiseGray(img, 4, 4, 4, 1, 1)).not.toThrow();
    expect(() => nlmDenoiseGray(img, 4, 4, 4, 3, 41)).not.toThrow();
  });

  it('rejects a negative or non-finite h or hColor', () => {
    for (const bad of [-1, Number.NaN, Infinity, -Infinity]) {
      oneLineRangeError(() => nlmDenoiseGray(img, 4, 4, bad, 3, 11));
      oneLineRangeError(() => nlmDenoiseColor(cimg, 4, 4, bad, 4, 3, 11));
      oneLineRangeError(() => nlmDenoiseColor(cimg, 4, 4, 4, bad, 3, 11));
    }
  });

  it('rejects sizes that do not match the buffers', () => {
    oneLineRangeError(() => nlmDenoiseGray(img, 4, 5, 4, 3, 11));
    oneLineRangeError(() => nlmDenoiseGray(img, 0, 16, 4, 3, 11));
    oneLineRangeError(() => nlmDenoiseGray(new Uint8Array(0), 0, 0, 4, 3, 11));
    oneLineRangeError(() => nlmDenoiseGray(img, 4, 4, 4, 3, 11, new Uint8Array(15)));
    oneLineRangeError(() => nlmDenoiseColor(img, 4, 4, 4, 4, 3, 11));
    oneLineRangeError(() => nlmDenoiseColor(cimg, 4, 4, 4, 4, 3, 11, new Uint8Array(16)));
  });
});
