import { type BoxLevel, type Classifier, type Registry } from '@mixnsqueeze/core';
import { type PublicModel } from './wire.ts';

const loaded = new Map<string, Promise<Classifier>>();

/**
 * The child's own copy of the classifier under attack, built from its public recipe: the base
 * model at gray box, the defense around it at white box with keys the child draws itself from its
 * OS (never the parent's). Base models are loaded once per child and shared by its games.
 */
export async function publicModel(box: BoxLevel, recipe: PublicModel, registry: Registry): Promise<Classifier | undefined> {
  if (box === 'black') return undefined;
  let base = loaded.get(recipe.source);
  if (!base) {
    const { loadClassifier } = await import('@mixnsqueeze/backends');
    base = loadClassifier(recipe.source, { log: () => undefined });
    loaded.set(recipe.source, base);
  }
  const model = await base;
  if (box === 'gray') return model;
  const { defend } = await import('@mixnsqueeze/squeezers');
  return defend(model, {
    squeeze: (recipe.squeeze ?? []).map((s) => registry.squeezer(s)),
    ...(recipe.randomize ? { randomize: registry.randomizer(recipe.randomize) } : {}),
  });
}
