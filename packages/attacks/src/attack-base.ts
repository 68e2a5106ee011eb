import {
  type Attack,
  type AttackOptions,
  type AttackResult,
  type Batch,
  type Capability,
  CapabilityError,
  type Classifier,
  type FeatureSpace,
  type KeyedPrg,
  type Norm,
  ParameterError,
  UINT8_LEVELS,
  argmaxRows,
  checkBatch,
  concatBatches,
  isDifferentiable,
  roundToGrid,
  sliceBatch,
  snapToSpace,
} from '@mixnsqueeze/core';
import { perturbationNorms, project } from './norms.ts';
import { attackRandomness } from './seeded-random.ts';
import { type AttackSurface } from './surface.ts';
import { makeSurface } from './surfaces/make-surface.ts';
import { resolveTargets } from './targets.ts';

/** Everything an attack's core loop needs; built and checked by AttackBase.run. */
export interface AttackContext {
  /** Clean inputs of this chunk (validated, within bounds). */
  readonly x: Batch;
  /** True labels of the chunk. */
  readonly labels: Int32Array;
  /** Target labels when the run is targeted. */
  readonly targets: Int32Array | undefined;
  /** How the attack sees the model (exact, BPDA, EOT or estimated gradients); every call is counted. */
  readonly surface: AttackSurface;
  /** The model's input space (bounds, immutable mask, schema). */
  readonly space: FeatureSpace;
  /** Number of classes of the model. */
  readonly classes: number;
  /** Seeded randomness of the attack for a named purpose (e.g. 'start'), per chunk. */
  random(purpose: string): KeyedPrg;
  /** Throws if the run was aborted. */
  checkAborted(): void;
  /** Reports progress inside the chunk, in [0, 1]. */
  progress(fraction: number): void;
  /**
   * Records the per-sample loss the attack optimizes at one step (index from 0); the report's
   * `lossPerStep` is its mean over all samples that recorded that step (a convergence curve).
   */
  recordLoss(step: number, values: Float64Array): void;
}

/** The result of a run: the core AttackResult plus what a report needs. */
export interface AttackReport extends AttackResult {
  /** Canonical spec of the attack with every parameter. */
  readonly attack: string;
  /** Canonical spec of the surface used, e.g. `eot:30`. */
  readonly surface: string;
  /** Target label of each sample for a targeted run, else undefined. */
  readonly targets: Int32Array | undefined;
  /** Labels the model gave the adversarial examples (one query each). */
  readonly predicted: Int32Array;
  /** Wall-clock time of the run, in milliseconds. */
  readonly elapsedMs: number;
  /** Mean loss over samples at each step, for attacks that record it (see AttackContext.recordLoss). */
  readonly lossPerStep?: Float64Array;
}

/** Options of {@link AttackBase.run}: the core options plus chunking. */
export interface AttackRunOptions extends AttackOptions {
  /** Samples per core-loop call (default 100): bounds memory and gives progress. */
  readonly batchSize?: number;
}

/**
 * The sealed entry point every attack shares (after Foolbox 3's `__call__` and ART's declared
 * capabilities): validates inputs, labels, targets and the model's capabilities; builds the attack
 * surface; runs the attack's core loop chunk by chunk; projects the result onto the budget and the
 * feature bounds (immutable features reset) and, for tabular spaces, snaps it to the schema (per-feature
 * bounds, integer lattices, one-hot groups; see `snapToSpace`); and measures success, norms and model queries.
 * Subclasses write only `perturb` and must not override `run`.
 */
export abstract class AttackBase<P extends object> implements Attack {
  abstract readonly id: string;
  abstract readonly norm: Norm;
  /** Whether the attack can aim at target labels. */
  abstract readonly targeted: boolean;
  /** Whether it can run untargeted. */
  readonly untargeted: boolean = true;
  /** What the surface must provide: gradients (exact, BPDA, EOT or estimated) or logits only. */
  readonly requires: readonly Capability[] = ['gradients'];
  /** The validated parameters, frozen. */
  readonly params: Readonly<P>;

  constructor(params: P) {
    this.params = Object.freeze({ ...params });
  }

  /** Canonical spec of this attack and its parameters. */
  get spec(): string {
    const kv = Object.entries(this.params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
    return kv ? `${this.id}:${kv}` : this.id;
  }

  /** The eps-ball results are projected into (in value units of the space), for norm-bounded attacks. */
  protected budget(_space: FeatureSpace): { readonly norm: 'linf' | 'l2'; readonly eps: number } | undefined {
    return undefined;
  }

  /**
   * The surface used when the caller names none. Default: exact for deterministic differentiable
   * models, bpda for defenses, spsa for logits-only models when the attack accepts estimates.
   * Attacks defined by their surface (EOT-PGD, black-box attacks) override it.
   */
  protected surfaceFor(model: Classifier): string {
    return defaultSurface(model, this.requires);
  }

  /** The attack's core loop: returns adversarial candidates for ctx.x (projected afterwards). */
  protected abstract perturb(ctx: AttackContext): Promise<Float32Array>;

  async run(model: Classifier, x: Batch, labels: Int32Array, options: AttackRunOptions = {}): Promise<AttackReport> {
    const started = performance.now();
    const space = model.space;
    checkBatch(space, x, `${this.id} input`);
    const n = x.shape[0]!;
    if (labels.length !== n) throw new ParameterError(`${this.id}: expected ${n} labels, one per sample, got ${labels.length}.`);
    labels.forEach((y, i) => {
      if (!Number.isInteger(y) || y < 0 || y >= model.classes) {
        throw new ParameterError(`${this.id}: label ${y} of sample ${i} is not a class in [0, ${model.classes}).`);
      }
    });
    const mode = options.target ?? 'untargeted';
    if (mode !== 'untargeted' && !this.targeted) throw new ParameterError(`${this.id} is untargeted only; drop the target option.`);
    if (mode === 'untargeted' && !this.untargeted) throw new ParameterError(`${this.id} needs a target: next, ll or explicit labels.`);
    const seed = options.seed ?? '0';
    const surfaceSpec = options.surface ?? this.surfaceFor(model);
    const surface = makeSurface(model, surfaceSpec, seed);
    const batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ParameterError(`${this.id}: batchSize must be a positive integer, got ${batchSize}.`);
    const targets = resolveTargets(mode, labels, model.classes, mode === 'll' ? await surface.logits(x) : undefined);
    const budget = this.budget(space);
    const [lo, hi] = space.bounds;
    const parts: Batch[] = [];
    const lossSum: number[] = [];
    const lossCount: number[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const chunk = sliceBatch(x, start, end);
      const ctx: AttackContext = {
        x: chunk,
        labels: labels.subarray(start, end),
        targets: targets?.subarray(start, end),
        surface,
        space,
        classes: model.classes,
        random: (purpose) => attackRandomness(seed, `${this.id}/${purpose}/from=${start}`),
        checkAborted: () => options.signal?.throwIfAborted(),
        progress: (f) => options.onProgress?.(start + Math.min(1, Math.max(0, f)) * (end - start), n),
        recordLoss: (step, values) => {
          while (lossSum.length <= step) lossSum.push(0), lossCount.push(0);
          let s = 0;
          for (const v of values) s += v;
          lossSum[step] = lossSum[step]! + s;
          lossCount[step] = lossCount[step]! + values.length;
        },
      };
      ctx.checkAborted();
      const adv = await this.perturb(ctx);
      project(chunk, adv, budget?.norm, budget?.eps ?? Infinity, lo, hi, space.immutable);
      // Attacks search the continuous relaxation; the example a user gets must be a valid record.
      if (space.features) snapToSpace(chunk, adv, space, budget);
      if (options.roundTo === 'uint8') roundMutable(adv, chunk.data, lo, hi, space.immutable);
      parts.push({ data: adv, shape: chunk.shape });
      options.onProgress?.(end, n);
    }
    const adversarial = n === 0 ? { data: new Float32Array(0), shape: x.shape } : concatBatches(parts);
    const predicted = argmaxRows(await surface.logits(adversarial));
    const success = new Uint8Array(n);
    for (let i = 0; i < n; i++) success[i] = targets ? Number(predicted[i] === targets[i]) : Number(predicted[i] !== labels[i]);
    return {
      attack: this.spec,
      surface: surface.spec,
      adversarial,
      success,
      predicted,
      targets,
      perturbationNorms: perturbationNorms(x, adversarial),
      queries: { ...surface.counts },
      elapsedMs: performance.now() - started,
      ...(lossSum.length ? { lossPerStep: Float64Array.from(lossSum, (v, t) => v / Math.max(1, lossCount[t]!)) } : {}),
    };
  }
}

/** Rounds adv to the 8-bit grid, keeping each immutable feature's clean value. */
function roundMutable(adv: Float32Array, clean: Float32Array, lo: number, hi: number, immutable: Uint8Array | undefined): void {
  roundToGrid(adv, adv, lo, hi, UINT8_LEVELS);
  if (!immutable) return;
  const d = immutable.length;
  for (let i = 0; i < adv.length; i++) if (immutable[i % d] === 1) adv[i] = clean[i]!;
}

/** exact for deterministic differentiable models, bpda for defenses, spsa for logits-only models. */
function defaultSurface(model: Classifier, requires: readonly Capability[]): string {
  if (isDifferentiable(model)) return model.stochastic || model.gradientKind === 'bpda' ? 'bpda' : 'exact';
  if (requires.includes('gradients')) {
    throw new CapabilityError(
      'this attack needs gradients and the model gives logits only; pass surface spsa or nes to estimate them from logits.',
    );
  }
  return 'spsa';
}
