import type { CliContext } from './context.ts';

/** Seconds between progress lines when stderr is not a terminal. */
const LINE_EVERY_S = 60;

/**
 * Progress per stage: a cli-progress bar with ETA on a terminal; otherwise (logs, CI, `--json`
 * runs, whose stdout is for machines) plain lines on stderr: when a stage starts, at most once a
 * minute with the share done and the ETA, and when it ends. A full reproduction runs for hours, and
 * a log that says nothing between its first and last line cannot be told from a hung one.
 */
export async function stageProgress(
  ctx: CliContext,
  now: () => number = () => performance.now(),
): Promise<{ update(stage: string, done: number, total: number): void; stop(): void }> {
  const p = await stagePrinter(ctx, now);
  return {
    update(stage, done, total) {
      // Progress means the work has begun: the inputs were accepted.
      ctx.accept?.();
      p.update(stage, done, total);
    },
    stop: () => p.stop(),
  };
}

async function stagePrinter(ctx: CliContext, now: () => number): Promise<{ update(stage: string, done: number, total: number): void; stop(): void }> {
  if (!ctx.interactive) {
    const started = new Map<string, { at: number; said: number; ended?: true }>();
    return {
      update(stage, done, total) {
        const t = now();
        let s = started.get(stage);
        if (!s) {
          s = { at: t, said: t };
          started.set(stage, s);
          ctx.stderr(`${stage}: ${total} step(s)\n`);
        }
        if (s.ended) return;
        if (done === total) {
          s.ended = true;
          ctx.stderr(`${stage}: done in ${minutes(t - s.at)}\n`);
        } else if (t - s.said >= LINE_EVERY_S * 1000 && done > 0) {
          s.said = t;
          const eta = ((t - s.at) / done) * (total - done);
          ctx.stderr(`${stage}: ${done}/${total} (${Math.floor((100 * done) / total)}%), ${minutes(t - s.at)} so far, ETA ${minutes(eta)}\n`);
        }
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

/** 42 s or 12.5 min. */
function minutes(ms: number): string {
  return ms < 120_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 60_000).toFixed(1)} min`;
}
