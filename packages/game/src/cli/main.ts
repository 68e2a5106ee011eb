import { Command, Option } from 'commander';
import { type CliContext, builtinRegistry, loadPlugins } from './context.ts';
import { reportError } from './exit.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerListCommand } from './commands/list.ts';
import { registerSqueezeCommand } from './commands/squeeze.ts';
import { registerTrainCommand } from './commands/train.ts';
import { registerPredictCommand } from './commands/predict.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';
import { registerAttackCommand } from './commands/attack.ts';
import { registerReproduceCommand } from './commands/reproduce.ts';
import { registerReportCommand } from './commands/report.ts';

/** Every command module adds itself to the program here. */
const COMMANDS = [registerSqueezeCommand, registerListCommand, registerDemoCommand, registerTrainCommand, registerPredictCommand, registerEvaluateCommand, registerAttackCommand, registerReproduceCommand, registerReportCommand];

/** Where {@link main} writes; defaults to the process's streams. */
export interface MainIo {
  /** Writes to standard output (default: process.stdout). */
  readonly stdout?: (s: string) => void;
  /** Writes to standard error (default: process.stderr). */
  readonly stderr?: (s: string) => void;
  /** Whether progress bars are drawn (default: stderr is a terminal). */
  readonly interactive?: boolean;
}

/** The `mixnsqueeze` commander program with every command registered, for embedding or testing. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('mixnsqueeze')
    .description("Randomized feature squeezing (Mix'n'Squeeze) and adaptive-attack evaluation")
    .version('0.1.0')
    .addOption(
      new Option('--plugin <module>', 'ES module exporting a plugin to use() (repeatable)')
        .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v])
        .default([]),
    )
    .exitOverride()
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .showHelpAfterError('(run with --help for usage)');
  for (const register of COMMANDS) register(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  return program;
}

/** Runs the CLI on argv (node-style: argv[0] node, argv[1] script) and returns the exit status. */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const stderr = io.stderr ?? ((s: string) => void process.stderr.write(s));
  let program: Command | undefined;
  let registry: Promise<ReturnType<typeof builtinRegistry>> | undefined;
  const ctx: CliContext = {
    stdout,
    stderr,
    interactive: io.interactive ?? Boolean(process.stderr.isTTY),
    registry: () => (registry ??= loadPlugins(builtinRegistry(), (program?.opts().plugin as string[]) ?? [])),
  };
  try {
    program = buildProgram(ctx);
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    return reportError(e, stderr);
  }
}
