import { Command, Option } from 'commander';
import type { Registry } from '@mixnsqueeze/core';
import { type CliContext, loadPlugins } from './context.ts';
import { commanderErrorLine, reportError } from './exit.ts';
import { checkOutputOptions } from './output-options.ts';
import { streamWriter } from './stream-writer.ts';
import { HeldLines } from './held-lines.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerListCommand } from './commands/list.ts';
import { registerSqueezeCommand } from './commands/squeeze.ts';
import { registerTrainCommand } from './commands/train.ts';
import { registerPredictCommand } from './commands/predict.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';
import { registerAttackCommand } from './commands/attack.ts';
import { registerReproduceCommand } from './commands/reproduce.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTokenCommand } from './commands/token.ts';

/** Every command module adds itself to the program here. */
const COMMANDS = [registerSqueezeCommand, registerListCommand, registerDemoCommand, registerTrainCommand, registerPredictCommand, registerEvaluateCommand, registerAttackCommand, registerReproduceCommand, registerReportCommand, registerWorkerCommand, registerServeCommand, registerTokenCommand];

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
  // Usage errors too are one line, like every other error (no help text after them).
  const writeErr = (s: string): void => {
    ctx.accept?.();
    ctx.stderr(s);
  };
  const output = { writeOut: ctx.stdout, writeErr, outputError: (str: string, write: (s: string) => void) => write(commanderErrorLine(str)) };
  const program = new Command('mixnsqueeze')
    .description("Randomized feature squeezing (Mix'n'Squeeze) and adaptive-attack evaluation")
    .version('0.1.0')
    .addOption(
      new Option('--plugin <module>', 'ES module file or installed package exporting a plugin to use() (repeatable)')
        .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v])
        .default([]),
    )
    .exitOverride()
    .configureOutput(output)
    // Before any command runs: outputs are checked first, so a bad one costs no work.
    .hook('preAction', (_program, cmd) => checkOutputOptions(cmd));
  for (const register of COMMANDS) register(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput(output);
  return program;
}

/** Runs the CLI on argv (node-style: argv[0] node, argv[1] script) and returns the exit status. */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? streamWriter(process.stdout);
  const stderr = io.stderr ?? streamWriter(process.stderr);
  const notes = new HeldLines(stderr);
  let program: Command | undefined;
  let registry: Promise<Registry> | undefined;
  const ctx: CliContext = {
    // Output means the inputs were accepted: the notes before it are shown first.
    stdout: (s) => {
      notes.accept();
      stdout(s);
    },
    stderr: notes.line,
    accept: notes.accept,
    interactive: io.interactive ?? Boolean(process.stderr.isTTY),
    // The built-in components (and the libraries behind them) load on first use, not at start-up.
    registry: () =>
      (registry ??= import('./builtin-registry.ts').then(({ builtinRegistry }) => loadPlugins(builtinRegistry(), (program?.opts().plugin as string[]) ?? []))),
  };
  try {
    program = buildProgram(ctx);
    await program.parseAsync([...argv]);
    notes.accept();
    return 0;
  } catch (e) {
    const dropped = notes.drop();
    if (process.env.MIXNSQUEEZE_DEBUG) for (const s of dropped) stderr(s);
    return reportError(e, stderr);
  }
}
