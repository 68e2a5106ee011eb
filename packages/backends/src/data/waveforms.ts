import { type FeatureSpace, type KeyedPrg, derivedKeys, makeBatch, signalSpace } from '@mixnsqueeze/core';
import { type Dataset, type Split } from './dataset.ts';

/** The waveform shapes, in label order. */
export const WAVEFORM_CLASSES = ['sine', 'square', 'sawtooth', 'triangle'] as const;
/** Time steps per signal. */
export const WAVEFORM_LENGTH = 64;
/** One channel of 64 steps in [-1, 1]. */
export const WAVEFORM_SPACE: FeatureSpace = signalSpace(WAVEFORM_LENGTH, 1, [-1, 1]);

const SIZES: Record<Split, number> = { train: 4000, test: 1000 };
/** Uniforms per signal: class, cycles, phase, amplitude, then one noise draw per step. */
const DRAWS = 4 + WAVEFORM_LENGTH;

/**
 * Synthetic 1-D signals of four shapes, generated from a keyed PRG (nothing to download, the same
 * signals on every machine): class uniform over the shapes, 1.5 to 6 cycles per signal, uniform
 * phase, amplitude 0.4 to 0.9, plus uniform noise of +-0.1 per step, clipped to [-1, 1].
 */
export function generateWaveforms(count: number, prg: KeyedPrg): Dataset {
  const t = WAVEFORM_LENGTH;
  const u = new Float64Array(count * DRAWS);
  prg.uniform(u);
  const data = new Float32Array(count * t);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const b = i * DRAWS;
    const cls = Math.min(WAVEFORM_CLASSES.length - 1, Math.floor(u[b]! * WAVEFORM_CLASSES.length));
    const cycles = 1.5 + 4.5 * u[b + 1]!;
    const phase = u[b + 2]!;
    const amp = 0.4 + 0.5 * u[b + 3]!;
    labels[i] = cls;
    for (let s = 0; s < t; s++) {
      const p = (s / t) * cycles + phase;
      const f = p - Math.floor(p);
      const wave = cls === 0 ? Math.sin(2 * Math.PI * p) : cls === 1 ? (f < 0.5 ? 1 : -1) : cls === 2 ? 2 * f - 1 : 1 - 4 * Math.abs(f - 0.5);
      const v = amp * wave + 0.2 * (u[b + 4 + s]! - 0.5);
      data[i * t + s] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
  }
  return { x: makeBatch(data, [count, t, 1]), labels, space: WAVEFORM_SPACE, classNames: WAVEFORM_CLASSES };
}

/** The fixed train (4,000) or test (1,000) signals. */
export function loadWaveforms(split: Split = 'test'): Dataset {
  return generateWaveforms(SIZES[split], derivedKeys('mixnsqueeze/waveforms').fork(split).next());
}
