import { readFile } from 'node:fs/promises';
import { FileAccessError, FormatError, ParameterError } from '@mixnsqueeze/core';
import { z } from 'zod';
import { HEX_SEED } from './master-seed.ts';

const attackEntry = z.strictObject({
  /** Column name in tables, e.g. `CW-2 next`. */
  label: z.string().min(1),
  /** Attack spec, e.g. `cw2:mnist`. */
  spec: z.string().min(1),
  target: z.enum(['untargeted', 'next', 'll']).default('untargeted'),
  /** Attack surface; default: exact on the undefended model, as in the paper. */
  surface: z.string().optional(),
});

const squeezerEntry = z.strictObject({
  /** Row name, e.g. `median 2x2`. */
  label: z.string().min(1),
  /** Squeezer specs applied in order; empty for "no squeezer". */
  specs: z.array(z.string().min(1)),
  /** Randomizer id whose single parameter is delta. */
  randomizer: z.enum(['uniform', 'gaussian']).default('uniform'),
  /** Noise levels evaluated (figures); must contain 0 and the operating point. */
  deltas: z.array(z.number().min(0).max(1)).min(1),
  /** The paper's operating point (table 2). */
  operatingDelta: z.number().min(0).max(1),
});

const adaptiveEntry = z.strictObject({
  label: z.string().min(1),
  spec: z.string().min(1),
  target: z.enum(['untargeted', 'next', 'll']).default('untargeted'),
  /** Which squeezer row the attack is adapted to (and evaluated on, at its operating delta). */
  squeezer: z.string().min(1),
  surface: z.string().optional(),
  /** Independent runs (table 3: 20). */
  runs: z.number().int().min(1).default(1),
  /** Seeds attacked. */
  samples: z.number().int().min(1).optional(),
  /**
   * Fit the detector threshold T of a `squeezers=...` attack (He et al.) on this model's legitimate
   * images at 5% false positives, as the reference did for its model, and append `threshold=T`.
   */
  fitThreshold: z.boolean().default(false),
});

/** An experiment grid (dataset x model x attack x squeezer x delta x N), validated. */
export const experimentConfig = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    dataset: z.string().min(1),
    /** How reports name the test set (e.g. "JPEG CIFAR-10 test"); default: the dataset spec. */
    testSet: z.string().min(1).optional(),
    /**
     * Whose published numbers the reports compare with: the paper's MNIST tables, its CIFAR-10 rows,
     * its ImageNet rows, or none (a dataset the paper did not evaluate). Only the MNIST values are
     * printed next to a run's; CIFAR-10 and ImageNet runs say which rows they correspond to.
     * Default: mnist for the mnist dataset, else none.
     */
    paper: z.enum(['mnist', 'cifar10', 'imagenet', 'none']).optional(),
    model: z.string().min(1),
    /**
     * Master seed (hex, >= 128 bits): every key and attack seed derives from it. Leave it out (the
     * built-in configs do): each run then draws a fresh one from the OS, stores it with the run and
     * shows it in the report once the run has finished; `reproduce --seed <hex>` replays a run.
     */
    seed: z.string().regex(HEX_SEED, 'a hex string of at least 32 digits').optional(),
    /** Attack seeds: the first `seeds` correctly classified test images. */
    seeds: z.number().int().min(1),
    /** Test images for legitimate accuracy. */
    legitimate: z.number().int().min(1),
    /** R: repetitions (fresh keys) per (squeezer, delta, set). */
    repetitions: z.number().int().min(1),
    /** N values for advantage vs N; the largest is the game's N in the delta figures. */
    budgets: z.array(z.number().int().min(1)).min(1),
    /** Success threshold of the game. */
    tau: z.number().gt(0).max(1).default(1),
    /** Classify queries per candidate of the greedy adversary in measured games. */
    m: z.number().int().min(1),
    /** Adversary spec of the measured games (default `greedy:m=<m>`, the paper's A*). */
    adversary: z.string().min(1).optional(),
    /**
     * L-inf distance within which a submitted sample keeps the class of the pool sample it is near
     * (0: only exact pool samples can be judged). Adversaries that submit near-copies need it.
     */
    tolerance: z.number().min(0).max(1).default(0),
    /** Measured games per cell (0: only the paper's eq. 6). */
    games: z.number().int().min(0),
    /**
     * Which deltas get measured games: every delta, or each squeezer's operating point only (a
     * game costs m x candidates Classify queries, so the full grid at every delta is days of work).
     */
    gamesAt: z.enum(['all', 'operating']).default('all'),
    /**
     * Round every adversarial example to the 8-bit grid (k / 255) before it is evaluated or
     * scored by a detector, as EvadeML-Zoo's main program does (images are stored as uint8).
     * The built-in paper configs set `uint8`; default `none` keeps the attack's float output.
     */
    roundTo: z.enum(['none', 'uint8']).default('none'),
    attacks: z.array(attackEntry).min(1),
    squeezers: z.array(squeezerEntry).min(1),
    adaptive: z.array(adaptiveEntry).default([]),
  })
  .superRefine((c, ctx) => {
    for (const s of c.squeezers) {
      if (!s.deltas.includes(0)) ctx.addIssue({ code: 'custom', message: `squeezer '${s.label}': deltas must include 0 (plain squeezing)` });
      if (!s.deltas.includes(s.operatingDelta)) ctx.addIssue({ code: 'custom', message: `squeezer '${s.label}': deltas must include operatingDelta ${s.operatingDelta}` });
    }
    const labels = new Set(c.squeezers.map((s) => s.label));
    for (const a of c.adaptive) if (!labels.has(a.squeezer)) ctx.addIssue({ code: 'custom', message: `adaptive '${a.label}': no squeezer row '${a.squeezer}'` });
    const attackLabels = c.attacks.map((a) => a.label);
    if (new Set(attackLabels).size !== attackLabels.length) ctx.addIssue({ code: 'custom', message: 'attack labels must be unique' });
    if (labels.size !== c.squeezers.length) ctx.addIssue({ code: 'custom', message: 'squeezer labels must be unique' });
  });

/** A validated experiment config, defaults filled in (the output of {@link experimentConfig}). */
export type ExperimentConfig = z.output<typeof experimentConfig>;
/** An experiment config as written (YAML or code) before validation; optional fields may be left out. */
export type ExperimentInput = z.input<typeof experimentConfig>;

/** The published results a run is compared with (see `paper`). */
export function comparedWith(config: Pick<ExperimentConfig, 'paper' | 'dataset'>): 'mnist' | 'cifar10' | 'imagenet' | 'none' {
  return config.paper ?? (config.dataset === 'mnist' ? 'mnist' : 'none');
}

/** Validates a config object; errors name the offending path. */
export function parseConfig(raw: unknown, source = 'config'): ExperimentConfig {
  const r = experimentConfig.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    throw new ParameterError(`${source}: ${why}.`);
  }
  return r.data;
}

/** Reads a config file (.json, .yaml or .yml). */
export async function readConfigFile(path: string): Promise<ExperimentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FileAccessError(`config '${path}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  let raw: unknown;
  try {
    // yaml is loaded when a config needs it: it is not part of the CLI's start-up.
    raw = /\.ya?ml$/i.test(path) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (e) {
    throw new FormatError(`config '${path}': ${(e as Error).message.split('\n')[0]}. Write JSON or YAML.`);
  }
  return parseConfig(raw, path);
}
