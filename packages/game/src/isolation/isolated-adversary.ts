import { type Adversary, type Batch, type GameView, ParameterError, splitSpec } from '@mixnsqueeze/core';
import { type AdversaryHost } from './adversary-host.ts';
import { type PublicModel } from './wire.ts';

/**
 * An adversary that plays in its host's child process: `play(view)` relays the game's description
 * and its two oracles across the boundary, and the child creates and runs the adversary `spec`
 * there. The game (EvCsaGame) and its outcome are the parent's, so a game scores exactly as it
 * would in-process.
 */
export class IsolatedAdversary implements Adversary {
  /** Registry id of the adversary, e.g. `greedy`. */
  readonly id: string;
  /** The host whose child plays it. */
  readonly host: AdversaryHost;
  readonly #spec: string;
  readonly #candidates: Batch;
  readonly #labels: Int32Array;
  readonly #model: PublicModel | undefined;

  constructor(
    host: AdversaryHost,
    spec: string,
    candidates: Batch,
    labels: Int32Array,
    /** `model`: the public recipe the child rebuilds the classifier from at white and gray box. */
    options: { readonly model?: PublicModel } = {},
  ) {
    this.id = splitSpec(spec).id;
    this.host = host;
    this.#spec = spec;
    this.#candidates = candidates;
    this.#labels = labels;
    this.#model = options.model;
  }

  /** Plays the game in the host's child: the view's description goes there, its oracles answer from here. */
  async play(view: GameView): Promise<void> {
    if (view.box !== 'black' && !this.#model) {
      throw new ParameterError(
        `adversary '${this.id}': a ${view.box}-box game played in another process needs the classifier's public recipe (options.model: { source, squeeze, randomize }); the classifier object cannot cross the boundary.`,
      );
    }
    await this.host.play(this.#spec, this.#candidates, this.#labels, view, this.#model);
  }
}
