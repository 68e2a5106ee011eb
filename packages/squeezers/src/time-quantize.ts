import { type Batch, type FeatureSpace, type Squeezer } from '@mixnsqueeze/core';
import { timeGeometry } from './time-geometry.ts';
import { freezeClass } from './freeze.ts';

/**
 * Quantization of 1-D signals in time and amplitude: each channel is cut into consecutive windows
 * of `window` steps (the last may be shorter), every window is replaced by its mean (sample and
 * hold, a lower time resolution), and the mean is rounded to `levels` evenly spaced values of the
 * bounds (a lower amplitude resolution). window = 1 is plain amplitude quantization.
 * Backward: exact through the mean (each step gets its window's mean gradient), BPDA identity
 * through the rounding.
 */
export class TimeQuantize implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'time-quantize';
  readonly gradient = 'bpda';
  /** Time steps per window (1: amplitude quantization only). */
  readonly window: number;
  /** Amplitude values kept over the bounds. */
  readonly levels: number;
  readonly spec: string;

  constructor(window: number, levels: number) {
    this.window = window;
    this.levels = levels;
    this.spec = `time-quantize:window=${window},levels=${levels}`;
  }

  apply(x: Batch, space: FeatureSpace): Batch {
    const { samples, steps, channels } = timeGeometry(x, this.spec);
    const [lo, hi] = space.bounds;
    const span = hi - lo;
    const q = this.levels - 1;
    const src = x.data;
    const out = new Float32Array(src.length);
    this.#windows(samples, steps, channels, (base, from, to) => {
      let s = 0;
      for (let t = from; t < to; t++) s += src[base + t * channels]!;
      const m = s / (to - from);
      const c = m < lo ? 0 : m > hi ? 1 : (m - lo) / span;
      const v = lo + (Math.round(c * q) / q) * span;
      for (let t = from; t < to; t++) out[base + t * channels] = v;
    });
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, _y: Batch, gradOut: Batch): Batch {
    const { samples, steps, channels } = timeGeometry(x, this.spec);
    const go = gradOut.data;
    const grad = new Float32Array(go.length);
    this.#windows(samples, steps, channels, (base, from, to) => {
      let s = 0;
      for (let t = from; t < to; t++) s += go[base + t * channels]!;
      const m = s / (to - from);
      for (let t = from; t < to; t++) grad[base + t * channels] = m;
    });
    return { data: grad, shape: x.shape };
  }

  /** Calls visit(base, from, to) for every window [from, to) of every channel of every sample. */
  #windows(samples: number, steps: number, channels: number, visit: (base: number, from: number, to: number) => void): void {
    const w = this.window;
    for (let n = 0; n < samples; n++) {
      for (let c = 0; c < channels; c++) {
        const base = n * steps * channels + c;
        for (let from = 0; from < steps; from += w) visit(base, from, Math.min(steps, from + w));
      }
    }
  }
}
freezeClass(TimeQuantize);
