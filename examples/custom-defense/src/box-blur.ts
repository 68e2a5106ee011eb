import { type Batch, type FeatureSpace, type Plugin, type Squeezer, TOKENS, defineComponent } from '@mixnsqueeze/core';
import { imageGeometry, reflectIndex } from '@mixnsqueeze/squeezers';
import { z } from 'zod';

/**
 * A user-written squeezer: k x k box (mean) blur per channel with symmetric borders. Linear, so its
 * backward is exact: the transpose of the blur.
 */
export class BoxBlur implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'box-blur';
  readonly gradient = 'exact';
  readonly spec: string;

  constructor(readonly size: number) {
    this.spec = `box-blur:${size}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    return this.#blur(x, space, false);
  }

  backward(x: Batch, _y: Batch, gradOut: Batch, space: FeatureSpace): Batch {
    return this.#blur({ data: gradOut.data, shape: x.shape }, space, true);
  }

  /** Forward: out[p] = mean of in[window(p)]; transposed: each out gradient is spread over its window. */
  #blur(x: Batch, space: FeatureSpace, transpose: boolean): Batch {
    const g = imageGeometry(x, space, this.spec);
    const k = this.size;
    const a = k >> 1;
    const inv = 1 / (k * k);
    const out = new Float32Array(x.data.length);
    const per = x.data.length / x.shape[0]!;
    for (let n = 0; n < x.shape[0]!; n++)
      for (let c = 0; c < g.channels; c++)
        for (let i = 0; i < g.height; i++)
          for (let j = 0; j < g.width; j++) {
            const o = n * per + c * g.chStride + i * g.rowStride + j * g.colStride;
            let s = 0;
            for (let di = 0; di < k; di++)
              for (let dj = 0; dj < k; dj++) {
                const src = n * per + c * g.chStride + reflectIndex(i - a + di, g.height) * g.rowStride + reflectIndex(j - a + dj, g.width) * g.colStride;
                if (transpose) out[src] += x.data[o]! * inv;
                else s += x.data[src]!;
              }
            if (!transpose) out[o] = s * inv;
          }
    return { data: out, shape: x.shape };
  }
}

/** The plugin: one component bound to the squeezer role, with its id and parameter schema. */
export const boxBlurPlugin: Plugin = {
  name: 'example-box-blur',
  register(container) {
    container.bind(TOKENS.squeezer).toConstantValue(
      defineComponent({
        id: 'box-blur',
        role: 'squeezer',
        summary: 'k x k mean blur (example plugin)',
        params: z.strictObject({ size: z.number().int().min(1).max(15) }),
        positional: (arg) => ({ size: Number(arg) }),
        examples: ['box-blur:3'],
        create: (p) => new BoxBlur(p.size),
      }),
    );
  },
};
