import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { FileAccessError, ParameterError } from '@mixnsqueeze/core/errors';
import type { CliContext } from '../context.ts';

/** `mixnsqueeze report [<run>]`: (re)writes the report of a stored run; without a run, lists them. */
export function registerReportCommand(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('write the HTML + markdown report of a stored run (list runs when none is given)')
    .argument('[run]', 'run id (see the list without it)')
    .option('--db <file>', 'results database', 'results/mixnsqueeze.db')
    .option('--out <dir>', 'report directory (default reports/<run>)')
    .action(async (run: string | undefined, opts: { db: string; out?: string }) => {
      if (!existsSync(opts.db)) throw new FileAccessError(`no results database at '${opts.db}'; run 'mixnsqueeze reproduce mnist --quick' first or pass --db.`);
      // Loaded on use: SQLite, the report's data model and its plots are not part of the CLI's start-up.
      const [{ ResultStore }, { fidelityNotesFor }, { loadReportData }] = await Promise.all([
        import('../../experiment/result-store.ts'),
        import('../../report/fidelity-notes.ts'),
        import('../../report/report-data.ts'),
      ]);
      const store = new ResultStore(opts.db, { readonly: true });
      try {
        if (run === undefined) {
          for (const r of store.runs()) ctx.stdout(`${r.id}  ${r.createdAt}  ${store.cells(r.id).length} cells\n`);
          return;
        }
        const data = loadReportData(store, run);
        if (!data) throw new ParameterError(`no run '${run}' in ${opts.db}; runs: ${store.runs().map((r) => r.id).join(', ') || '(none)'}.`);
        const out = opts.out ?? join('reports', run);
        // Loaded when needed: the report's plotting libraries (vega) are not part of the CLI's start-up.
        const { writeReport } = await import('../../report/render-report.ts');
        await writeReport(data, out, fidelityNotesFor(data.config));
        ctx.stdout(`report: ${join(out, 'report.html')} and ${join(out, 'report.md')}\n`);
      } finally {
        store.close();
      }
    });
}
