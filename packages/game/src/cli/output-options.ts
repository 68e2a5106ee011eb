import type { Command } from 'commander';

/**
 * Options that name where a command writes, and the commands they are outputs of (`*`: every
 * command). `report --db` only reads its database, so it is not checked as an output. The kind
 * comes from the option's own placeholder (`--out <file>`, `--out <dir>`).
 */
const OUTPUT_OPTIONS: Record<string, '*' | readonly string[]> = { out: '*', cacheDir: '*', db: ['reproduce'] };

/**
 * Checks every output path of the command about to run before it does any work (see
 * `checkOutputPath` of `@mixnsqueeze/core`): a bad `--out` fails in a second, not after an hour of attacks, and
 * never as a hang under /proc.
 */
export async function checkOutputOptions(cmd: Command): Promise<void> {
  const values = cmd.opts() as Record<string, unknown>;
  // Loaded here, not at the top: the core is not part of the CLI's start-up (--version, --help).
  const { checkOutputPath } = await import('@mixnsqueeze/core');
  for (const option of cmd.options) {
    const key = option.attributeName();
    const value = values[key];
    const of = Object.hasOwn(OUTPUT_OPTIONS, key) ? OUTPUT_OPTIONS[key] : undefined;
    if (of === undefined || (of !== '*' && !of.includes(cmd.name())) || typeof value !== 'string') continue;
    const kind = option.flags.includes('<dir>') ? 'dir' : 'file';
    await checkOutputPath(value, kind, option.long ?? key);
  }
}
