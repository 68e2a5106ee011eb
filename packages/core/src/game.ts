import { type Batch } from './batch.ts';
import { type Classifier } from './classifier.ts';

/**
 * How much of the classifier the adversary is told (never the defense's keys): `white` gets the
 * defended classifier itself, `gray` the undefended base model and the defense's description,
 * `black` the description only.
 */
export type BoxLevel = 'black' | 'gray' | 'white';

/** The Attack oracle's answer for one submitted sample. */
export type AttackAnswer =
  | { readonly label: number }
  | { readonly rejected: true }
  | { readonly over: true };

/** What the EV-CSA game gives the adversary (reference.md section 6): a description and two oracles. */
export interface GameView {
  /** How much of the classifier the adversary is told. */
  readonly box: BoxLevel;
  /** White box: the defended classifier; gray box: the undefended base model; black box: absent. */
  readonly model?: Classifier;
  /** The defense's description (e.g. its spec), given at every box level. */
  readonly description: string;
  /** N, the number of Attack queries the game allows. */
  readonly budget: number;
  /** Attack queries left. */
  readonly remaining: number;
  /** Classify oracle: C(x) with fresh randomness per call; unlimited but counted. */
  classify(x: Batch): Promise<Int32Array>;
  /**
   * Attack oracle, one answer per sample in order: an exact repeat is `rejected` and counts
   * nothing; once N queries are spent every further sample is `over`.
   */
  attack(x: Batch): Promise<AttackAnswer[]>;
}

/** An adversary of the EV-CSA game; it brings its own candidates and knowledge. */
export interface Adversary {
  /** Registry id of the adversary, e.g. `greedy`. */
  readonly id: string;
  /** Plays one game through the view's oracles; resolves when it stops querying or the budget is spent. */
  play(view: GameView): Promise<void>;
}

/**
 * What an adversary component creates: an adversary for one game, given its candidate pool (the
 * adversarial set it brings) and the pool's true labels. Adversaries keep per-game state, so the
 * runner asks for a fresh one per game.
 */
export type AdversaryFactory = (candidates: Batch, labels: Int32Array) => Adversary;

/** One game's outcome: succ = n / N and the query counts. */
export interface GameOutcome {
  /** n: Attack queries whose sample the classifier got wrong. */
  readonly successes: number;
  /** N: Attack queries allowed. */
  readonly budget: number;
  /** succ = n / N, in [0, 1]. */
  readonly success: number;
  /** Samples sent to the Classify oracle. */
  readonly classifyQueries: number;
  /** Attack queries counted (at most N). */
  readonly attackQueries: number;
  /** Exact repeats the Attack oracle rejected without counting. */
  readonly rejected: number;
}

/** A security game an adversary plays against a classifier, e.g. the EV-CSA game. */
export interface Game {
  /** Plays the game once with this adversary and returns the outcome. */
  play(adversary: Adversary): Promise<GameOutcome>;
}
