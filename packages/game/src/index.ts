export { main, buildProgram, type MainIo } from './cli/main.ts';
export { builtinRegistry, loadPlugins, type CliContext } from './cli/context.ts';
export { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, reportError } from './cli/exit.ts';
