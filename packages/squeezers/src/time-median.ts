import { type Batch, type Squeezer } from '@mixnsqueeze/core';
import { reflectIndex } from './image-geometry.ts';
import { timeGeometry } from './time-geometry.ts';
import { freezeClass } from './freeze.ts';

/**
 * Median smoothing over a window of `window` time steps, per channel, for 1-D signals (N x T or
 * N x T x C): the 1-D analogue of the image median squeezer, with the same conventions: the window
 * of step t covers t - floor(w/2) .. t + w - 1 - floor(w/2), borders reflect (scipy 'reflect'), and
 * the result is the element of rank floor(w/2) of the sorted window (the upper middle for even w).
 * Backward: exact; each output's gradient goes to the window element it selected (on ties, the
 * first in time order).
 */
export class TimeMedian implements Squeezer {
  readonly kind = 'squeezer';
  readonly id = 'median1d';
  readonly gradient = 'exact';
  /** Window length in time steps. */
  readonly window: number;
  readonly spec: string;
  #win = new Float64Array(0);

  constructor(window: number) {
    this.window = window;
    this.spec = `median1d:${window}`;
  }

  apply(x: Batch): Batch {
    const { samples, steps, channels } = timeGeometry(x, this.spec);
    const w = this.window;
    const a = w >> 1;
    const rank = w >> 1;
    if (this.#win.length < w) this.#win = new Float64Array(w);
    const win = this.#win;
    const src = x.data;
    const out = new Float32Array(src.length);
    for (let n = 0; n < samples; n++) {
      for (let c = 0; c < channels; c++) {
        const base = n * steps * channels + c;
        for (let t = 0; t < steps; t++) {
          // Insertion sort: windows are short (a few to a few dozen steps).
          for (let k = 0; k < w; k++) {
            const v = src[base + reflectIndex(t - a + k, steps) * channels]!;
            let p = k;
            while (p > 0 && win[p - 1]! > v) {
              win[p] = win[p - 1]!;
              p--;
            }
            win[p] = v;
          }
          out[base + t * channels] = win[rank]!;
        }
      }
    }
    return { data: out, shape: x.shape };
  }

  backward(x: Batch, y: Batch, gradOut: Batch): Batch {
    const { samples, steps, channels } = timeGeometry(x, this.spec);
    const w = this.window;
    const a = w >> 1;
    const src = x.data;
    const sel = y.data;
    const go = gradOut.data;
    const grad = new Float32Array(src.length);
    for (let n = 0; n < samples; n++) {
      for (let c = 0; c < channels; c++) {
        const base = n * steps * channels + c;
        for (let t = 0; t < steps; t++) {
          const o = base + t * channels;
          let target = o;
          for (let k = 0; k < w; k++) {
            const s = base + reflectIndex(t - a + k, steps) * channels;
            if (src[s] === sel[o]) {
              target = s;
              break;
            }
          }
          grad[target] += go[o]!;
        }
      }
    }
    return { data: grad, shape: x.shape };
  }
}
freezeClass(TimeMedian);
