/** The most characters of one piece of user input (a spec, a path, a value) an error line echoes. */
export const MAX_ECHO = 200;

/** The most characters of a whole error line, whatever it is made of. */
const MAX_LINE = 2000;

/** A quoted span, or an unbroken run of characters, longer than MAX_ECHO: echoed input, most likely. */
const LONG = new RegExp(`'[^']{${MAX_ECHO + 1},}'|\\S{${MAX_ECHO + 1},}`, 'g');

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}... (${s.length} characters)` : s);

/**
 * An error message fit for one terminal line: newlines folded, every quoted span and every
 * unbroken run of characters longer than {@link MAX_ECHO} cut with an ellipsis, the whole capped.
 * Messages echo what the user typed, and a 100,000-character spec should not come back whole.
 */
export function clipMessage(message: string): string {
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim();
  const clipped = oneLine.replace(LONG, (m) => (m.startsWith("'") && m.endsWith("'") && m.length > 1 ? `'${cut(m.slice(1, -1), MAX_ECHO)}'` : cut(m, MAX_ECHO)));
  return cut(clipped, MAX_LINE);
}
