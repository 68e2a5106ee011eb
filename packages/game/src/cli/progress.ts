import { type CliContext } from './context.ts';

/**
 * Progress per stage: a cli-progress bar with ETA on a terminal, otherwise one line when a stage
 * starts and ends (logs stay readable in CI). `--json` runs pass quiet = true.
 */
export async function stageProgress(ctx: CliContext, quiet = false): Promise<{ update(stage: string, done: number, total: number): void; stop(): void }> {
  if (quiet) return { update() {}, stop() {} };
  if (!ctx.interactive) {
    const started = new Map<string, number>();
    return {
      update(stage, done, total) {
        if (!started.has(stage)) {
          started.set(stage, performance.now());
          ctx.stderr(`${stage}: ${total} step(s)\n`);
        }
        if (done === total) ctx.stderr(`${stage}: done in ${((performance.now() - started.get(stage)!) / 1000).toFixed(1)} s\n`);
      },
      stop() {},
    };
  }
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar(
    { stream: process.stderr, clearOnComplete: false, hideCursor: true, format: '{stage} [{bar}] {value}/{total} | ETA {eta_formatted} | {duration_formatted}' },
    Presets.shades_classic,
  );
  const bars = new Map<string, ReturnType<typeof multi.create>>();
  return {
    update(stage, done, total) {
      let bar = bars.get(stage);
      if (!bar) {
        bar = multi.create(total, 0, { stage: stage.padEnd(16) });
        bars.set(stage, bar);
      }
      bar.setTotal(total);
      bar.update(done, { stage: stage.padEnd(16) });
    },
    stop() {
      multi.stop();
    },
  };
}
