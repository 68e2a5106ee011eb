import { CommanderError } from 'commander';
import { isMixnsqueezeError } from '@mixnsqueeze/core/errors';
import { clipMessage } from './clip.ts';

/** Exit statuses: 0 ok, 1 internal failure (a bug: please report), 2 bad input or usage. */
export const EXIT_OK = 0;
/** Exit status of an internal failure (a bug). */
export const EXIT_INTERNAL = 1;
/** Exit status of bad input or usage. */
export const EXIT_USAGE = 2;

/**
 * Turns any error into one line on stderr and an exit status. Typed (user-facing) errors and
 * usage errors exit 2 without a stack trace; anything else is a bug, reported with its stack only
 * when MIXNSQUEEZE_DEBUG is set. Every line goes through `clipMessage`, so echoed input is
 * never longer than a line should be.
 */
export function reportError(e: unknown, stderr: (s: string) => void): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
    // Commander has printed its own message already (see commanderErrorLine).
    return EXIT_USAGE;
  }
  if (isMixnsqueezeError(e)) {
    stderr(`mixnsqueeze: error: ${clipMessage(e.message)}\n`);
    return EXIT_USAGE;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  stderr(`mixnsqueeze: internal error: ${clipMessage(err.message.split('\n')[0] ?? '')} (set MIXNSQUEEZE_DEBUG=1 for the stack trace)\n`);
  if (process.env.MIXNSQUEEZE_DEBUG) stderr(`${err.stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

/** Commander's usage error (`error: unknown option '--x'`) as the one line the CLI prints for every error. */
export function commanderErrorLine(message: string): string {
  return `mixnsqueeze: ${clipMessage(message)} (see --help)\n`;
}
