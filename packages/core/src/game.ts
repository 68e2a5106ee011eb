import { type Batch } from './batch.ts';
import { type Classifier } from './classifier.ts';

/** How much of the classifier the adversary is told about (never the defense's keys). */
export type BoxLevel = 'black' | 'gray' | 'white';

/** What the EV-CSA game gives the adversary: a description and two oracles. */
export interface GameView {
  readonly box: BoxLevel;
  /** The model itself at white box, absent otherwise. */
  readonly model?: Classifier;
  readonly description: string;
  /** Classify oracle: C(x) with fresh randomness per call; unlimited but counted. */
  classify(x: Batch): Promise<Int32Array>;
  /** Attack oracle: one submission; `rejected` for exact repeats; ends the game after N. */
  attack(x: Batch): Promise<{ readonly label: number } | { readonly rejected: true } | { readonly over: true }>;
}

/** An adversary of the EV-CSA game (reference.md section 6). */
export interface Adversary {
  readonly id: string;
  play(view: GameView): Promise<void>;
}

/** One game's outcome: succ = n / N and the query counts. */
export interface GameOutcome {
  readonly successes: number;
  readonly budget: number;
  readonly success: number;
  readonly classifyQueries: number;
  readonly attackQueries: number;
}

export interface Game {
  play(adversary: Adversary): Promise<GameOutcome>;
}
