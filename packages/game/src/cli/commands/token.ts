import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

// Only commander and types at the top: the store (better-sqlite3) loads inside the actions.

interface CreateOptions {
  budget: string;
  window: string;
  db: string;
}

/**
 * `mixnsqueeze token create|list|revoke`: the clients of `mixnsqueeze serve` and their attempt
 * budgets. `create` prints the bearer token once; the database keeps only its hash.
 */
export function registerTokenCommand(program: Command, ctx: CliContext): void {
  const token = program.command('token').description("clients of 'mixnsqueeze serve': bearer tokens with attempt budgets per time window");

  token
    .command('create <name>')
    .description('create a client; prints its bearer token once (only a hash is stored)')
    .requiredOption('--budget <n>', 'attempts (classified samples) per window')
    .requiredOption('--window <duration>', 'window length, e.g. 1h, 24h, 7d (windows follow each other from now)')
    .requiredOption('--db <file>', 'token database (created if missing)')
    .action(async (name: string, opts: CreateOptions) => {
      const [{ ParameterError }, { TokenStore, formatDuration, parseDuration }] = await Promise.all([import('@mixnsqueeze/core'), import('@mixnsqueeze/serve')]);
      const budget = /^\d{1,12}$/.test(opts.budget) ? Number(opts.budget) : Number.NaN;
      if (!(budget >= 1)) throw new ParameterError(`--budget: expected a positive integer (at most 12 digits), got '${opts.budget}'.`);
      const windowMs = parseDuration(opts.window);
      const { existsSync, rmSync } = await import('node:fs');
      const created = !existsSync(opts.db);
      const store = new TokenStore(opts.db);
      try {
        const { token: secret, info } = store.create(name, budget, windowMs);
        ctx.stdout(`${secret}\n`);
        ctx.stderr(`mixnsqueeze token: created '${info.name}' (id ${info.id}): ${info.budget} attempts per ${formatDuration(info.windowMs)}; the token above is shown only this once\n`);
      } catch (e) {
        store.close();
        // A database made only for a refused token is not left behind.
        if (created) for (const f of [opts.db, `${opts.db}-wal`, `${opts.db}-shm`]) rmSync(f, { force: true });
        throw e;
      }
      store.close();
    });

  token
    .command('list')
    .description('list the clients: name, id, budget per window, attempts left, when the window resets')
    .requiredOption('--db <file>', 'token database')
    .option('--json', 'print JSON')
    .action(async (opts: { db: string; json?: boolean }) => {
      const { TokenStore, describeToken } = await import('@mixnsqueeze/serve');
      const store = new TokenStore(opts.db, { create: false });
      try {
        const tokens = store.list();
        if (opts.json) ctx.stdout(`${JSON.stringify(tokens.map((t) => ({ ...t, attemptsLeft: t.budget - t.used })))}\n`);
        else if (tokens.length === 0) ctx.stderr(`mixnsqueeze token: no clients in ${opts.db}\n`);
        else ctx.stdout(tokens.map((t) => `${describeToken(t)}\n`).join(''));
      } finally {
        store.close();
      }
    });

  token
    .command('revoke <name>')
    .description('revoke a client: its token is refused from the next request on (the record stays)')
    .requiredOption('--db <file>', 'token database')
    .action(async (name: string, opts: { db: string }) => {
      const { TokenStore } = await import('@mixnsqueeze/serve');
      const store = new TokenStore(opts.db, { create: false });
      try {
        const t = store.revoke(name);
        ctx.stderr(`mixnsqueeze token: revoked '${t.name}' (id ${t.id})\n`);
      } finally {
        store.close();
      }
    });
}
