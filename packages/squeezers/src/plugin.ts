import { type Component, type Plugin, TOKENS, defineComponent } from '@mixnsqueeze/core';
import { z } from 'zod';
import { Binary } from './binary.ts';
import { BitDepth } from './bit-depth.ts';
import { GaussianNoise } from './gaussian-noise.ts';
import { FeatureQuantize } from './feature-quantize.ts';
import { Median } from './median.ts';
import { NonLocalMeans } from './nlm.ts';
import { TimeMedian } from './time-median.ts';
import { TimeQuantize } from './time-quantize.ts';
import { UniformNoise } from './uniform-noise.ts';

function number(arg: string): number {
  const v = Number(arg);
  if (arg.trim() === '' || !Number.isFinite(v)) throw new Error(`not a number: ${arg}`);
  return v;
}

const resample = z
  .number()
  .min(0)
  .max(1)
  .default(0)
  .describe('tabular spaces: probability of replacing a categorical variable by a uniform level (0: left alone)');

const odd = (what: string) =>
  z.number().int().min(1).max(63).refine((v) => v % 2 === 1, { message: `${what} must be odd` });

/** Registry component `bit-depth` ({@link BitDepth}): `bit-depth:4` or `bit-depth:bits=4`. */
export const bitDepthComponent = defineComponent({
  id: 'bit-depth',
  role: 'squeezer',
  summary: 'bit-depth reduction: round_half_even(x * (2^bits - 1)) / (2^bits - 1)',
  params: z.strictObject({ bits: z.number().int().min(1).max(8).describe('bits kept per value (1..8)') }),
  positional: (arg) => ({ bits: number(arg) }),
  examples: ['bit-depth:1', 'bit-depth:5', 'bit-depth:bits=4'],
  create: (p) => new BitDepth(p.bits),
});

/** Registry component `binary` ({@link Binary}): `binary:0.5`; threshold defaults to 0.5. */
export const binaryComponent = defineComponent({
  id: 'binary',
  role: 'squeezer',
  summary: 'binary filter: 1 where x > threshold (strict), else 0',
  params: z.strictObject({
    threshold: z.number().gt(0).lt(1).default(0.5).describe('threshold relative to the bounds, in (0, 1)'),
  }),
  positional: (arg) => ({ threshold: number(arg) }),
  examples: ['binary:0.5', 'binary:threshold=0.3'],
  create: (p) => new Binary(p.threshold),
});

/** Registry component `median` ({@link Median}): `median:2x2` or `median:size=3`; square windows only. */
export const medianComponent = defineComponent({
  id: 'median',
  role: 'squeezer',
  summary: 'median smoothing k x k per channel (scipy reflect borders, upper-middle rank)',
  params: z.strictObject({ size: z.number().int().min(1).max(31).describe('window side k') }),
  positional: (arg) => {
    const m = /^(\d+)(?:x(\d+))?$/.exec(arg.trim());
    if (!m) throw new Error(`bad median window ${arg}`);
    if (m[2] !== undefined && m[2] !== m[1]) throw new Error('only square windows');
    return { size: Number(m[1]) };
  },
  examples: ['median:2x2', 'median:3x3', 'median:size=3'],
  create: (p) => new Median(p.size),
});

/** Registry component `nlm` ({@link NonLocalMeans}): `nlm:11-3-4` (search-patch-h). */
export const nlmComponent = defineComponent({
  id: 'nlm',
  role: 'squeezer',
  summary: 'non-local means search-patch-h (OpenCV fastNlMeansDenoising[Colored])',
  params: z.strictObject({
    search: odd('search window').describe('search window side (odd)'),
    patch: odd('patch').describe('patch side (odd)'),
    h: z.number().gt(0).max(255).describe('filter strength (hColor = h for color)'),
  }),
  positional: (arg) => {
    const parts = arg.split('-');
    if (parts.length !== 3) throw new Error('expected a-b-c');
    return { search: number(parts[0]!), patch: number(parts[1]!), h: number(parts[2]!) };
  },
  examples: ['nlm:11-3-4', 'nlm:13-3-2', 'nlm:search=11,patch=3,h=4'],
  create: (p) => new NonLocalMeans(p.search, p.patch, p.h),
});

/**
 * Registry component `uniform` ({@link UniformNoise}), the Mix'n'Squeeze randomizer: `uniform:0.2` or
 * `uniform:delta=0.1,resample=0.05`.
 */
export const uniformComponent = defineComponent({
  id: 'uniform',
  role: 'randomizer',
  summary: "Mix'n'Squeeze noise: x + U[-delta, delta] per value (delta relative to the bounds), clipped",
  params: z.strictObject({
    delta: z.number().min(0).max(1).describe('half-width of the noise, relative to hi - lo (per feature in tabular spaces)'),
    resample: resample,
  }),
  positional: (arg) => ({ delta: number(arg) }),
  examples: ['uniform:0.2', 'uniform:0.5', 'uniform:delta=0.05', 'uniform:delta=0.1,resample=0.05'],
  create: (p) => new UniformNoise(p.delta, { resample: p.resample }),
});

/** Registry component `gaussian` ({@link GaussianNoise}): `gaussian:0.1` or `gaussian:sigma=0.05,resample=0.1`. */
export const gaussianComponent = defineComponent({
  id: 'gaussian',
  role: 'randomizer',
  summary: 'Gaussian noise: x + N(0, sigma^2) per value (sigma relative to the bounds), clipped',
  params: z.strictObject({
    sigma: z.number().min(0).max(1).describe('standard deviation, relative to hi - lo (per feature in tabular spaces)'),
    resample: resample,
  }),
  positional: (arg) => ({ sigma: number(arg) }),
  examples: ['gaussian:0.1', 'gaussian:sigma=0.05', 'gaussian:sigma=0.05,resample=0.1'],
  create: (p) => new GaussianNoise(p.sigma, { resample: p.resample }),
});

/** Registry component `quantize` ({@link FeatureQuantize}), per-feature quantization of tables: `quantize:8`. */
export const quantizeComponent = defineComponent({
  id: 'quantize',
  role: 'squeezer',
  summary: 'per-feature quantization (tabular): levels per feature range, integer lattices, one-hot argmax; immutable kept',
  params: z.strictObject({ levels: z.number().int().min(2).max(65_536).describe('values kept per feature range') }),
  positional: (arg) => ({ levels: number(arg) }),
  examples: ['quantize:8', 'quantize:levels=16'],
  create: (p) => new FeatureQuantize(p.levels),
});

/** Registry component `median1d` ({@link TimeMedian}) for 1-D signals: `median1d:3`. */
export const timeMedianComponent = defineComponent({
  id: 'median1d',
  role: 'squeezer',
  summary: 'median over a window of time steps, per channel (1-D signals N x T [x C])',
  params: z.strictObject({ window: z.number().int().min(1).max(255).describe('window length in time steps') }),
  positional: (arg) => ({ window: number(arg) }),
  examples: ['median1d:3', 'median1d:window=5'],
  create: (p) => new TimeMedian(p.window),
});

/**
 * Registry component `time-quantize` ({@link TimeQuantize}) for 1-D signals: `time-quantize:4` (levels default to 16).
 */
export const timeQuantizeComponent = defineComponent({
  id: 'time-quantize',
  role: 'squeezer',
  summary: 'window means over time (sample and hold) rounded to amplitude levels (1-D signals)',
  params: z.strictObject({
    window: z.number().int().min(1).max(4096).describe('time steps per window'),
    levels: z.number().int().min(2).max(65_536).default(16).describe('amplitude values kept over the bounds'),
  }),
  positional: (arg) => ({ window: number(arg) }),
  examples: ['time-quantize:4', 'time-quantize:window=2,levels=8'],
  create: (p) => new TimeQuantize(p.window, p.levels),
});

const components: readonly Component<unknown, never>[] = [
  bitDepthComponent,
  binaryComponent,
  medianComponent,
  nlmComponent,
  uniformComponent,
  gaussianComponent,
  quantizeComponent,
  timeMedianComponent,
  timeQuantizeComponent,
] as unknown as Component<unknown, never>[];

/** The built-in squeezers and randomizers, for `registry.use(squeezersPlugin)`. */
export const squeezersPlugin: Plugin = {
  name: '@mixnsqueeze/squeezers',
  register(container) {
    for (const c of components) container.bind(TOKENS[c.role]).toConstantValue(c);
  },
};
