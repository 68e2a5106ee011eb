import { type Command, Option } from 'commander';
import type { Classifier, Randomizer, Squeezer } from '@mixnsqueeze/core';
import type { TfjsBackendName, ExecutionProvider } from '@mixnsqueeze/backends';
import type { CliContext } from '../context.ts';

// Only commander and types at the top: the server, the backends and the libraries behind them
// load inside the action, so other commands do not pay for them at start-up.

interface ServeOptions {
  model: string;
  defense: string[];
  db: string;
  port: string;
  host: string;
  reveal: 'label' | 'probabilities';
  maxBatch: string;
  bodyLimit: string;
  timeoutMs: string;
  concurrency: string;
  maxQueue: string;
  log: boolean;
  seed?: string;
  backend?: TfjsBackendName;
  provider?: ExecutionProvider;
}

const collect = (value: string, prior: string[]): string[] => [...prior, value];

/** A whole number from a flag, within [min, max], or a ParameterError naming the flag. */
async function intFlag(flag: string, text: string, min: number, max: number): Promise<number> {
  const { ParameterError } = await import('@mixnsqueeze/core');
  const n = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ParameterError(`${flag}: expected an integer from ${min} to ${max}, got '${text}'.`);
  return n;
}

/**
 * The transforms as the service takes them: one randomizer first (optional), then squeezers. The
 * CLI's other commands nest any order; a deployment has one pipeline, so other orders are refused.
 */
async function serviceDefense(transforms: readonly (Randomizer | Squeezer)[]): Promise<{ randomize?: Randomizer; squeeze: Squeezer[] }> {
  const { ParameterError, isRandomizer } = await import('@mixnsqueeze/core');
  const randomizers = transforms.filter((t) => isRandomizer(t));
  if (randomizers.length > 1 || (randomizers.length === 1 && !isRandomizer(transforms[0]!))) {
    throw new ParameterError(`serve: pass at most one randomizing --defense, first (e.g. --defense uniform:0.5 --defense median:2x2); got ${transforms.map((t) => t.spec).join(', ')}.`);
  }
  const [first, ...rest] = transforms;
  return first && isRandomizer(first) ? { randomize: first, squeeze: rest as Squeezer[] } : { squeeze: transforms as Squeezer[] };
}

/** Waits for SIGTERM or SIGINT (the first one drains; a second SIGINT ends the process at once). */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

/**
 * `mixnsqueeze serve --model <id|path> --defense <spec>... --db <file> [--port] [--host]`: the
 * defended classifier as an HTTP service (see @mixnsqueeze/serve). Runs until SIGTERM or SIGINT,
 * then drains the requests in flight and exits 0.
 */
export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve a defended classifier over HTTP: fresh OS keys per request, attempt budgets per token (see mixnsqueeze token)')
    .requiredOption('--model <model>', 'zoo id (mnist, fashion-mnist), tfjs model.json or .onnx file')
    .option('--defense <spec>', 'randomizer first, then squeezers, in order (e.g. --defense uniform:0.5 --defense median:2x2)', collect, [])
    .requiredOption('--db <file>', "token database (created if missing; 'mixnsqueeze token create' adds clients)")
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .addOption(new Option('--reveal <what>', 'what a client learns per sample').choices(['label', 'probabilities']).default('label'))
    .option('--max-batch <n>', 'most samples per request (413 above)', '256')
    .option('--body-limit <bytes>', 'most bytes per request body (413 above)', String(8 * 1024 * 1024))
    .option('--timeout-ms <ms>', 'most time a request may wait for and run the model (504 after)', '10000')
    .option('--concurrency <n>', 'model calls at the same time', '1')
    .option('--max-queue <n>', 'model calls that may wait; beyond them 503 with Retry-After', '64')
    .option('--no-log', 'do not log requests (JSON lines on stdout; never tokens or payloads)')
    .option('--seed <hex>', 'refused: a service draws fresh OS keys for every request')
    .option('--backend <name>', 'tfjs backend: node-gpu | node | wasm | cpu (default: fastest available)')
    .addOption(new Option('--provider <name>', 'ONNX Runtime execution provider for .onnx models').choices(['cpu', 'cuda', 'webgpu']))
    .action(async (opts: ServeOptions) => {
      const { ParameterError } = await import('@mixnsqueeze/core');
      if (opts.seed !== undefined) {
        throw new ParameterError('serve refuses --seed: seeded keys can be replayed by whoever learns the seed; the service draws fresh OS keys for every request.');
      }
      const port = await intFlag('--port', opts.port, 0, 65_535);
      const limits = {
        maxBatch: await intFlag('--max-batch', opts.maxBatch, 1, 1_000_000),
        bodyLimit: await intFlag('--body-limit', opts.bodyLimit, 1, 2 ** 31 - 1),
        timeoutMs: await intFlag('--timeout-ms', opts.timeoutMs, 1, 3_600_000),
        concurrency: await intFlag('--concurrency', opts.concurrency, 1, 1024),
        maxQueued: await intFlag('--max-queue', opts.maxQueue, 0, 1_000_000),
      };
      const registry = await ctx.registry();
      // Specs and flags are checked before the model loads, the model before the database is
      // touched: bad input costs no load and leaves no file behind.
      const defense = await serviceDefense(opts.defense.map((s) => registry.transform(s)));
      const [{ existsSync, rmSync }, { loadClassifier }, { TokenStore, createDefendedService }, { releaseModel }] = await Promise.all([
        import('node:fs'),
        import('@mixnsqueeze/backends'),
        import('@mixnsqueeze/serve'),
        import('./defended-model.ts'),
      ]);
      const model: Classifier = await loadClassifier(opts.model, {
        log: ctx.stderr,
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.provider ? { executionProvider: opts.provider } : {}),
      });
      const created = !existsSync(opts.db);
      let store: InstanceType<typeof TokenStore> | undefined;
      let service: Awaited<ReturnType<typeof createDefendedService>> | undefined;
      let url: string;
      try {
        store = new TokenStore(opts.db);
        service = await createDefendedService({ model, defense, store, reveal: opts.reveal, limits, log: opts.log ? { stream: { write: (line: string) => ctx.stdout(line) } } : false });
        url = await service.listen({ port, host: opts.host });
      } catch (e) {
        await service?.close();
        store?.close();
        await releaseModel(model);
        // A database this run created for nothing is not left behind.
        if (created) for (const f of [opts.db, `${opts.db}-wal`, `${opts.db}-shm`]) rmSync(f, { force: true });
        const code = (e as { code?: string }).code;
        if (code === 'EADDRINUSE') throw new ParameterError(`--port ${port} on ${opts.host} is in use; stop the other server or pass another --port.`);
        if (code === 'EACCES') throw new ParameterError(`--port ${port} on ${opts.host}: permission denied; use a port above 1023.`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ParameterError(`--host ${opts.host} is not an address of this machine; pass 127.0.0.1, 0.0.0.0 or one of its addresses.`);
        throw e;
      }
      const clients = store.list().filter((t) => t.revokedAt === undefined).length;
      ctx.stderr(
        `mixnsqueeze serve: listening on ${url} (${opts.model} behind ${service.defense.join(' + ') || 'no defense'}, ${opts.reveal === 'label' ? 'labels only' : 'labels and probabilities'}, ` +
          `${clients} active token${clients === 1 ? '' : 's'} in ${opts.db}); SIGTERM or Ctrl-C drains and stops\n`,
      );
      if (clients === 0) ctx.stderr(`mixnsqueeze serve: no client yet: mixnsqueeze token create <name> --budget <n> --window <duration> --db ${opts.db}\n`);
      ctx.accept?.();
      const signal = await untilSignal();
      ctx.stderr(`mixnsqueeze serve: ${signal}: draining the requests in flight\n`);
      await service.close();
      store.close();
      await releaseModel(model);
      ctx.stderr('mixnsqueeze serve: stopped\n');
    });
}
