import type { Command } from 'commander';
import { ParameterError } from '@mixnsqueeze/core/errors';
import type { CliContext } from '../context.ts';

interface WorkerOptions {
  queue: string;
  concurrency: string;
  lockDuration: string;
}

/**
 * `mixnsqueeze worker --queue <redis-url> [--concurrency n]`: computes the cells of runs that
 * `mixnsqueeze reproduce --queue` coordinates, with the code of a local run, until SIGINT/SIGTERM
 * (the cells in hand are finished first; a worker killed outright has its cell taken over by
 * another once BullMQ sees it stalled).
 */
export function registerWorkerCommand(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('compute cells of distributed runs (reproduce --queue) from a BullMQ queue on Redis until stopped; see docs/guides/cluster.md')
    .requiredOption('--queue <redis-url>', 'the queue\'s Redis: redis://[:password@]host[:port][/db] (or the password in MIXNSQUEEZE_REDIS_PASSWORD)')
    .option('--concurrency <n>', 'cells computed at once by this process', '1')
    .option('--lock-duration <seconds>', "how long a cell's lock outlives a worker that stopped answering before another worker takes the cell over (longer than the longest stretch a cell keeps the event loop busy)", '120')
    .action(async (opts: WorkerOptions) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ParameterError(`--concurrency: expected an integer from 1 to 64, got '${opts.concurrency}'.`);
      const lockSeconds = Number(opts.lockDuration);
      if (!Number.isFinite(lockSeconds) || lockSeconds < 5 || lockSeconds > 86_400) throw new ParameterError(`--lock-duration: expected seconds from 5 to 86400, got '${opts.lockDuration}'.`);
      const { parseQueueUrl } = await import('../../cluster/queue-url.ts');
      const url = parseQueueUrl(opts.queue);
      // Loaded on use: BullMQ, ioredis, models and data are not part of the CLI's start-up.
      const [{ startCellWorker }, { cliEnvironment }] = await Promise.all([import('../../cluster/cell-worker.ts'), import('../../experiment/cli-environment.ts')]);
      const registry = await ctx.registry();
      const log = (line: string) => ctx.stderr(line.endsWith('\n') ? line : `${line}\n`);
      const worker = await startCellWorker({
        url,
        concurrency,
        log,
        // A cell's lock is renewed from the event loop, which a long synchronous stretch (a squeezer
        // on a large chunk) holds: the lock must outlast it, or a live cell is taken over.
        lockDurationMs: lockSeconds * 1000,
        environment: async (config) => {
          log(`loading ${config.model} and ${config.dataset}`);
          return cliEnvironment(config, registry, log);
        },
      });
      ctx.accept?.();
      log(`worker: taking cells from ${url.display} (concurrency ${concurrency}); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          // A second signal stops at once (closing waits for Redis, which may be gone): the cell
          // in hand is taken over by another worker once BullMQ sees it stalled.
          const now = () => process.exit(130);
          process.once('SIGINT', now);
          process.once('SIGTERM', now);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      log('worker: finishing the cells in hand, then stopping (a second Ctrl-C stops at once)');
      await worker.close();
    });
}
