import { type Batch, type FeatureSpace, ShapeError, type Squeezer } from '@mixnsqueeze/core';
import { identityBackward } from './identity-backward.ts';
import { imageGeometry } from './image-geometry.ts';
import { nlmDenoiseColor } from './nlm/nlm-color.ts';
import { nlmDenoiseGray } from './nlm/nlm-gray.ts';
import { fromUint8, toUint8 } from './quantize.ts';
import { freezeClass } from './freeze.ts';

/**
 * Non-local means a-b-c (search window a, patch b, strength h = c), the OpenCV
 * fastNlMeansDenoising / fastNlMeansDenoisingColored algorithm as used by Feature Squeezing:
 * each image is quantized to uint8, denoised (gray directly; 3 channels through 8-bit Lab, L with h
 * and a/b jointly with hColor = h, channel 0 read as OpenCV's B as the reference code passes RGB
 * as is), and scaled back. Agreement with OpenCV: docs/nlm.md. Backward: BPDA identity.
 */
export class NonLocalMeans implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'nlm';
  readonly gradient = 'bpda';
  /** Search window side, odd, in pixels. */
  readonly search: number;
  /** Patch side, odd, in pixels. */
  readonly patch: number;
  /** Filter strength on the uint8 scale (hColor = h for color images). */
  readonly h: number;
  readonly spec: string;

  constructor(search: number, patch: number, h: number) {
    this.search = search;
    this.patch = patch;
    this.h = h;
    this.spec = `nlm:${search}-${patch}-${h}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    const g = imageGeometry(x, space, this.spec);
    if (g.channels !== 1 && g.channels !== 3) {
      throw new ShapeError(`${this.spec}: expected 1 (gray) or 3 (color) channels, got ${g.channels}.`);
    }
    if (g.channels === 3 && g.chStride !== 1) {
      throw new ShapeError(`${this.spec}: color NLM needs channels-last images (layout hwc), got layout chw.`);
    }
    const [lo, hi] = space.bounds;
    const per = g.height * g.width * g.channels;
    const q = new Uint8Array(per);
    const d = new Uint8Array(per);
    const out = new Float32Array(x.data.length);
    for (let n = 0; n < x.shape[0]!; n++) {
      toUint8(x.data, n * per, per, lo, hi, q);
      if (g.channels === 1) nlmDenoiseGray(q, g.height, g.width, this.h, this.patch, this.search, d);
      else nlmDenoiseColor(q, g.height, g.width, this.h, this.h, this.patch, this.search, d);
      fromUint8(d, per, lo, hi, out, n * per);
    }
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch): Batch {
    return identityBackward(x, y, gradOut);
  }
}
freezeClass(NonLocalMeans);
