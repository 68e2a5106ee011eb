/**
 * A log that drops a line it has written in the last minute: Redis down means the same
 * connection error from every client at every reconnection attempt.
 */
export function quietRepeats(log: (line: string) => void): (line: string) => void {
  const said = new Map<string, number>();
  return (line) => {
    const now = Date.now();
    if (now - (said.get(line) ?? -Infinity) < 60_000) return;
    said.set(line, now);
    // A bounded memory: progress lines are all different.
    if (said.size > 256) said.delete(said.keys().next().value!);
    log(line);
  };
}
