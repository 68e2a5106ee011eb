import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tinyReport } from './tiny-experiment.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/** Headless Chromium with the flags this closed network needs (no background connections). */
function chromium(...args: string[]): string {
  return execFileSync(
    CHROMIUM!,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'mns-chrome-'))}`, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
  );
}

// .ci/run installs Debian's chromium; without it (a bare developer machine) this check cannot run.
describe.skipIf(!CHROMIUM)('report in a real headless browser (Debian chromium)', () => {
  it('renders the tables and every figure with drawn marks', async () => {
    const out = await tinyReport();
    const url = pathToFileURL(join(out, 'report.html')).href;
    const dom = chromium('--dump-dom', url);
    expect(dom).toMatch(/<h3>Table 1: feature squeezing without randomness/);
    const figures = dom.match(/<figure id="[^"]+"><svg[\s\S]*?<\/svg>/g) ?? [];
    // Two squeezer rows x 3 figures, the heat map, the adaptive row's convergence curve.
    expect(figures.length).toBe(8);
    // Every plot has axes and data marks (paths), not an empty frame.
    for (const f of figures) expect((f.match(/<path/g) ?? []).length).toBeGreaterThan(5);
    const png = join(out, 'report.png');
    chromium('--window-size=1200,2000', `--screenshot=${png}`, url);
    expect(statSync(png).size).toBeGreaterThan(50_000);
  });
});
