import { type AdversaryFactory, type GameView, type Registry } from '@mixnsqueeze/core';
import { AdversaryHost, type AdversaryHostOptions } from './adversary-host.ts';
import { IsolatedAdversary } from './isolated-adversary.ts';

/** Where a run's adversaries play: a process of their own (the default), or the parent's. */
export type AdversaryIsolation = 'process' | 'in-process';

/** Adversary factories by spec for a run's games, and the end of their process. */
export interface GameAdversaries {
  /** The factory of `spec`, checked against the parent's registry first (typed errors before any process starts). */
  factory(spec: string): AdversaryFactory;
  /** Ends the adversaries' process, if one was started. */
  close(): Promise<void>;
}

/**
 * The adversaries of a run's games. With `process` isolation every game's adversary plays in one
 * long-lived child (started on the first game) that loads the built-ins and `plugins`; `in-process`
 * creates them from the registry as objects of the parent, for adversaries registered without a
 * module the child could load, and for comparison.
 */
export function gameAdversaries(
  registry: Registry,
  isolation: AdversaryIsolation = 'process',
  options: AdversaryHostOptions = {},
): GameAdversaries {
  if (isolation === 'in-process') return { factory: (spec) => registry.adversary(spec), close: async () => {} };
  let host: AdversaryHost | undefined;
  // A failed game usually ends the run before anyone closes this: its child goes with the game.
  const play = async (adversary: IsolatedAdversary, view: GameView) => {
    const used = adversary.host;
    try {
      await adversary.play(view);
    } catch (e) {
      if (host === used) host = undefined;
      await used.close();
      throw e;
    }
  };
  return {
    factory(spec) {
      registry.adversary(spec);
      return (candidates, labels) => {
        const adversary = new IsolatedAdversary((host ??= new AdversaryHost(options)), spec, candidates, labels);
        return { id: adversary.id, play: (view) => play(adversary, view) };
      };
    },
    close: async () => host?.close(),
  };
}
