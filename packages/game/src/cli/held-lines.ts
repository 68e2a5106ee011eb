/**
 * Notes on stderr (which runtime runs the model, how many samples qualify) held back until the
 * command has accepted its inputs. A command that fails on bad input then prints its error line
 * and nothing else, and a script reading stderr gets one line to show; a command that goes on
 * shows the notes first, in order.
 */
export class HeldLines {
  readonly #write: (s: string) => void;
  #held: string[] | undefined = [];

  constructor(write: (s: string) => void) {
    this.#write = write;
  }

  /** Writes a line now, or holds it while the command is still checking its inputs. */
  readonly line = (s: string): void => {
    if (this.#held) this.#held.push(s);
    else this.#write(s);
  };

  /** The inputs are accepted: held lines are written, and later ones pass straight through. */
  readonly accept = (): void => {
    const held = this.#held;
    this.#held = undefined;
    for (const s of held ?? []) this.#write(s);
  };

  /** Drops the held lines and returns them: the command failed, and its error line says why. */
  drop(): string[] {
    const held = this.#held ?? [];
    this.#held = undefined;
    return held;
  }
}
