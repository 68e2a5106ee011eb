import { type Classifier, type KeySchedule, type Randomizer, type Registry, type Squeezer, derivedKeys, isRandomizer, osKeys } from '@mixnsqueeze/core';
import { defend } from '@mixnsqueeze/squeezers';
// Commands import this module inside their actions (`await import`): the libraries it loads are
// not part of the CLI's start-up.
import type { ExecutionProvider, TfjsBackendName } from '@mixnsqueeze/backends';
import type { CliContext } from '../context.ts';

/** Options shared by the commands that run a (defended) model. */
export interface ModelOptions {
  model: string;
  defense: string[];
  seed?: string;
  backend?: TfjsBackendName;
  provider?: ExecutionProvider;
}

/** A model as loaded, and the same model behind the requested defenses (the model itself if none). */
export interface DefendedModel {
  readonly model: Classifier;
  readonly defended: Classifier;
  /** Canonical specs of the defenses, in the order they are applied. */
  readonly specs: readonly string[];
}

/**
 * Applies transforms in the order given. `defend` puts one randomizer before its squeezers, so the
 * list is cut into runs (randomizer? squeezer*) and the runs are nested, first run outermost.
 */
function defendInOrder(model: Classifier, transforms: readonly (Randomizer | Squeezer)[], keys: KeySchedule): Classifier {
  const runs: { randomize?: Randomizer; squeeze: Squeezer[] }[] = [];
  for (const t of transforms) {
    if (isRandomizer(t) || runs.length === 0) runs.push(isRandomizer(t) ? { randomize: t, squeeze: [] } : { squeeze: [t] });
    else runs[runs.length - 1]!.squeeze.push(t);
  }
  let out = model;
  for (let i = runs.length - 1; i >= 0; i--) out = defend(out, { ...runs[i]!, keys });
  return out;
}

/**
 * Releases what a loaded model holds: ONNX classifiers own worker threads (`close`), which would
 * keep the process alive; tfjs classifiers own weight tensors (`dispose`).
 */
export async function releaseModel(model: Classifier): Promise<void> {
  const m = model as { close?: () => Promise<void> | void; dispose?: () => void };
  if (typeof m.close === 'function') await m.close();
  else if (typeof m.dispose === 'function') m.dispose();
}

/** Loads --model, builds the --defense specs with the registry, keys from --seed (else the OS). */
export async function loadDefendedModel(ctx: CliContext, opts: ModelOptions): Promise<DefendedModel> {
  const registry: Registry = await ctx.registry();
  // Specs are checked before the model loads: a typo should not cost a model load.
  const transforms = opts.defense.map((s) => registry.transform(s));
  // Loaded on use: tfjs takes seconds to import, which other commands should not pay.
  const { loadClassifier } = await import('@mixnsqueeze/backends');
  const model = await loadClassifier(opts.model, {
    log: ctx.stderr,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.provider ? { executionProvider: opts.provider } : {}),
  });
  const keys = opts.seed !== undefined ? derivedKeys(opts.seed) : osKeys();
  return { model, defended: defendInOrder(model, transforms, keys), specs: transforms.map((t) => t.spec) };
}
