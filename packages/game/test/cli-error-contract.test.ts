import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './cli-io.ts';
import { writeBadInputs } from './fixtures/cli-contract/bad-inputs.ts';
import { spawnCli } from './fixtures/cli-contract/spawn-cli.ts';
import { treeSnapshot } from './fixtures/cli-contract/tree-snapshot.ts';

/**
 * The CLI's contract for bad input, for every command (issue 15): exit status 2, exactly one line
 * on stderr, no stack trace, nothing left behind (no output file, no temporary file, no folder,
 * no database, no change to an input). One row per case; rows run in process, in a fresh working
 * directory each, except the two that only a process of its own shows (EPIPE, a plugin that never
 * finishes loading).
 */

const plugin = (name: string): string => fileURLToPath(new URL(`./fixtures/plugins/${name}.mjs`, import.meta.url));
const LONG = 'x'.repeat(100_000);
/** Per row: a row that hangs (the /proc case did) fails instead of stalling the file. */
const ROW_TIMEOUT_MS = 20_000;

interface Row {
  /** What is wrong, in words. */
  readonly name: string;
  /** The command line; `fx` names a fixture (read-only), `w` is the row's own working directory. */
  readonly args: (fx: (name: string) => string, w: string) => string[];
  /** What the line must say (it says what to do; this checks it names the cause). */
  readonly says: RegExp;
  /** Fixtures copied into the row's directory first (databases the command might alter). */
  readonly copies?: readonly string[];
  /** Environment for the row. */
  readonly env?: Record<string, string>;
  /** Longest acceptable line (echoed input is clipped to 200 characters). */
  readonly maxLine?: number;
}

const ROWS: Record<string, readonly Row[]> = {
  squeeze: [
    { name: 'a missing input file', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('nope.npy'), '--out', join(w, 'y.npy')], says: /does not exist/ },
    { name: 'a malformed .npy', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('bad.npy'), '--out', join(w, 'y.npy')], says: /not a \.npy file/ },
    { name: 'a truncated .npy', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('cut.npy'), '--out', join(w, 'y.npy')], says: /truncated/ },
    { name: 'malformed JSON', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('bad.json'), '--out', join(w, 'y.json')], says: /not valid JSON/ },
    { name: 'JSON nested 100,000 levels deep', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('deep.json'), '--out', join(w, 'y.json')], says: /nested more than 64 levels/ },
    { name: 'NaN values', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('nan.json'), '--out', join(w, 'y.json')], says: /NaN/ },
    { name: 'values out of bounds', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('big.json'), '--out', join(w, 'y.json')], says: /expected values in \[0, 1\]/ },
    { name: 'a batch of the wrong shape', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('flat.json'), '--out', join(w, 'y.json')], says: /spatial layout/ },
    { name: 'an unknown spec', args: (fx, w) => ['squeeze', 'blur:3', '--in', fx('x.npy'), '--out', join(w, 'y.npy')], says: /unknown transform 'blur'/ },
    { name: 'a bad spec parameter', args: (fx, w) => ['squeeze', 'median:2x3', '--in', fx('x.npy'), '--out', join(w, 'y.npy')], says: /median:2x3/ },
    { name: 'a 100,000-character spec', args: (fx, w) => ['squeeze', `median:${LONG}`, '--in', fx('x.npy'), '--out', join(w, 'y.npy')], says: /median:x+\.\.\. \(100007 characters\)/, maxLine: 600 },
    { name: 'a 100,000-character unknown id', args: (fx, w) => ['squeeze', LONG, '--in', fx('x.npy'), '--out', join(w, 'y.npy')], says: /\.\.\. \(100000 characters\)/, maxLine: 600 },
    { name: 'bad --bounds', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', join(w, 'y.npy'), '--bounds', '1,0'], says: /--bounds/ },
    { name: '--out naming a directory', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', w], says: /is a directory/ },
    { name: '--out under an existing file', args: (fx) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', join(fx('afile'), 'y.npy')], says: /is a file/ },
    { name: '--out in a new folder under /proc', args: (fx) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', '/proc/mixnsqueeze-test/y.npy'], says: /proc/ },
    { name: '--out directly in /proc', args: (fx) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', '/proc/mixnsqueeze-test.npy'], says: /proc/ },
    { name: '--out naming a device (/dev/null)', args: (fx) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', '/dev/null'], says: /not a regular file/ },
    { name: '--out with an unsupported extension', args: (fx, w) => ['squeeze', 'median:2x2', '--in', fx('x.npy'), '--out', join(w, 'new', 'y.txt')], says: /use \.npy or \.json/ },
  ],
  predict: [
    { name: 'a missing model', args: (fx) => ['predict', '--model', fx('nope.onnx'), '--in', fx('x.npy')], says: /nope\.onnx/ },
    { name: 'a model file of random bytes', args: (fx) => ['predict', '--model', fx('garbage.onnx'), '--in', fx('x.npy')], says: /garbage\.onnx/ },
    { name: 'a malformed model.json', args: (fx) => ['predict', '--model', fx('model.json'), '--in', fx('x.npy')], says: /model\.json/ },
    { name: 'a batch of the wrong shape for the model', args: (fx) => ['predict', '--model', 'mnist', '--in', fx('x.npy')], says: /shape|28/ },
    { name: 'NaN in the batch', args: (fx) => ['predict', '--model', 'mnist', '--in', fx('nan28.npy')], says: /NaN/ },
    { name: 'an unknown --defense', args: (fx) => ['predict', '--model', 'mnist', '--in', fx('x.npy'), '--defense', 'blur:2'], says: /unknown transform 'blur'/ },
  ],
  evaluate: [
    { name: '--limit 1000000000000', args: () => ['evaluate', '--model', 'mnist', '--dataset', 'mnist', '--limit', '1000000000000'], says: /--limit 1000000000000 is more than the 10000 samples/ },
    { name: '--limit that is no count', args: () => ['evaluate', '--model', 'mnist', '--dataset', 'mnist', '--limit', '1e3'], says: /--limit: expected a positive integer/ },
    { name: 'a missing dataset', args: (fx) => ['evaluate', '--model', 'mnist', '--dataset', fx('nope.csv')], says: /neither a built-in id/ },
    { name: 'a malformed CSV dataset', args: (fx) => ['evaluate', '--model', 'mnist', '--dataset', fx('bad.csv')], says: /bad\.csv/ },
  ],
  attack: [
    { name: '--n 1000000000000', args: (_fx, w) => ['attack', 'fgsm:eps=0.1', '--model', 'mnist', '--dataset', 'mnist', '--n', '1000000000000', '--out', join(w, 'adv.npy'), '--no-cache'], says: /--n 1000000000000 is more than the 10000 samples/ },
    { name: '--n 0', args: (_fx, w) => ['attack', 'fgsm:eps=0.1', '--model', 'mnist', '--dataset', 'mnist', '--n', '0', '--out', join(w, 'adv.npy')], says: /--n: expected a positive integer/ },
    { name: 'an unknown attack', args: (_fx, w) => ['attack', 'teleport', '--model', 'mnist', '--dataset', 'mnist', '--out', join(w, 'adv.npy')], says: /unknown attack 'teleport'/ },
    { name: 'a 100,000-character attack spec', args: (_fx, w) => ['attack', `fgsm:eps=${LONG}`, '--model', 'mnist', '--dataset', 'mnist', '--out', join(w, 'adv.npy')], says: /characters\)/, maxLine: 600 },
    { name: 'an unknown --surface', args: (_fx, w) => ['attack', 'fgsm:eps=0.1', '--model', 'mnist', '--dataset', 'mnist', '--n', '2', '--surface', 'telepathy', '--out', join(w, 'adv.npy'), '--cache-dir', join(w, 'cache')], says: /telepathy/ },
    { name: '--out naming a directory', args: (_fx, w) => ['attack', 'fgsm:eps=0.1', '--model', 'mnist', '--dataset', 'mnist', '--out', w], says: /is a directory/ },
    { name: '--out under /proc', args: () => ['attack', 'fgsm:eps=0.1', '--model', 'mnist', '--dataset', 'mnist', '--out', '/proc/mixnsqueeze-test/adv.npy'], says: /proc/ },
    { name: '--cache-dir under an existing file', args: (fx, w) => ['attack', 'fgsm:eps=0.1', '--model', 'mnist', '--dataset', 'mnist', '--out', join(w, 'adv.npy'), '--cache-dir', join(fx('afile'), 'cache')], says: /is a file/ },
  ],
  train: [
    { name: 'an unknown dataset', args: (_fx, w) => ['train', 'imagenet', '--out', join(w, 'model')], says: /unknown dataset 'imagenet'/ },
    { name: '--epochs 1000000000000', args: (_fx, w) => ['train', 'mnist', '--epochs', '1000000000000', '--out', join(w, 'model')], says: /--epochs 1000000000000 is more than .*10000/ },
    { name: '--out naming an existing file', args: (fx) => ['train', 'mnist', '--out', fx('afile')], says: /is a file/ },
    { name: '--out under /proc', args: () => ['train', 'mnist', '--out', '/proc/mixnsqueeze-test/model'], says: /proc/ },
    { name: 'a missing --data-dir (no model folder left)', args: (fx, w) => ['train', 'fashion-mnist', '--data-dir', fx('no-such-dir'), '--out', join(w, 'model')], says: /no-such-dir/ },
  ],
  'list and --plugin': [
    { name: 'a plugin whose register throws', args: () => ['--plugin', plugin('throws-in-register'), 'list'], says: /plugin 'throws-in-register' failed in register/ },
    { name: 'a plugin registering a malformed component', args: () => ['--plugin', plugin('malformed-component'), 'list'], says: /malformed squeezer: component 'half-done': 'params' must be a zod schema/ },
    { name: 'a plugin that never finishes loading', args: () => ['--plugin', plugin('never-settles'), 'list'], env: { MIXNSQUEEZE_PLUGIN_TIMEOUT: '0.5' }, says: /did not finish loading within 0\.5 s/ },
    { name: 'a plugin that throws while imported', args: () => ['--plugin', plugin('throws-on-import'), 'list'], says: /cannot be loaded: plugin initialisation failed/ },
    { name: 'a missing plugin module', args: (fx) => ['--plugin', fx('nope.mjs'), 'list'], says: /does not exist/ },
    { name: 'a plugin package that is not installed', args: () => ['--plugin', 'mixnsqueeze-plugin-not-installed', 'list'], says: /neither a file nor a package installed where the command runs/ },
    { name: 'a bad MIXNSQUEEZE_PLUGIN_TIMEOUT', args: () => ['--plugin', plugin('never-settles'), 'list'], env: { MIXNSQUEEZE_PLUGIN_TIMEOUT: 'soon' }, says: /MIXNSQUEEZE_PLUGIN_TIMEOUT/ },
    { name: 'an unknown command', args: () => ['frobnicate'], says: /unknown command 'frobnicate'/ },
    { name: 'an unknown option', args: () => ['list', '--colour'], says: /unknown option '--colour'/ },
    { name: 'a 100,000-character unknown option', args: () => ['list', `--${LONG}`], says: /characters\)/, maxLine: 600 },
    { name: 'a missing required option', args: (fx) => ['squeeze', 'median:2x2', '--in', fx('x.npy')], says: /required option '--out <file>'/ },
  ],
  reproduce: [
    { name: 'an unknown dataset', args: (_fx, w) => ['reproduce', 'svhn', '--db', join(w, 'r.db')], says: /dataset must be/ },
    { name: 'imagenet without --data-dir', args: (_fx, w) => ['reproduce', 'imagenet', '--quick', '--db', join(w, 'r.db')], says: /reproduce imagenet: pass --data-dir/ },
    { name: 'a missing --config', args: (fx, w) => ['reproduce', 'mnist', '--config', fx('nope.yaml'), '--db', join(w, 'r.db')], says: /nope\.yaml/ },
    { name: 'a malformed --config', args: (fx, w) => ['reproduce', 'mnist', '--config', fx('bad.json'), '--db', join(w, 'r.db')], says: /bad\.json/ },
    { name: 'an unknown --adversary', args: (_fx, w) => ['reproduce', 'mnist', '--quick', '--adversary', 'oracle', '--db', join(w, 'r.db')], says: /unknown adversary 'oracle'/ },
    { name: '--out naming an existing file', args: (fx, w) => ['reproduce', 'mnist', '--quick', '--out', fx('afile'), '--db', join(w, 'r.db')], says: /is a file/ },
    { name: '--out under /proc', args: (_fx, w) => ['reproduce', 'mnist', '--quick', '--out', '/proc/mixnsqueeze-test/report', '--db', join(w, 'r.db')], says: /proc/ },
    { name: '--db under an existing file', args: (fx) => ['reproduce', 'mnist', '--quick', '--db', join(fx('afile'), 'r.db')], says: /is a file/ },
    { name: '--db under /proc', args: () => ['reproduce', 'mnist', '--quick', '--db', '/proc/mixnsqueeze-test/r.db'], says: /proc/ },
    { name: 'a bad --model (no database, no empty run left)', args: (fx, w) => ['reproduce', 'mnist', '--quick', '--model', fx('garbage.onnx'), '--db', join(w, 'r.db')], says: /garbage\.onnx/ },
    { name: 'a bad --model with an existing --db (no empty run added)', args: (fx, w) => ['reproduce', 'mnist', '--quick', '--model', fx('garbage.onnx'), '--db', join(w, 'empty-results.db')], copies: ['empty-results.db'], says: /garbage\.onnx/ },
    { name: 'a missing --data-dir (no database, no empty run left)', args: (fx, w) => ['reproduce', 'mnist', '--quick', '--data-dir', fx('no-such-dir'), '--db', join(w, 'r.db')], says: /no-such-dir/ },
  ],
  report: [
    { name: 'a missing --db', args: (_fx, w) => ['report', '--db', join(w, 'nope.db')], says: /no results database/ },
    { name: 'a corrupt --db (random bytes)', args: (_fx, w) => ['report', '--db', join(w, 'corrupt.db')], copies: ['corrupt.db'], says: /corrupt\.db/ },
    { name: 'a truncated --db', args: (_fx, w) => ['report', '--db', join(w, 'truncated.db')], copies: ['truncated.db'], says: /truncated\.db/ },
    { name: 'an unrelated SQLite file as --db (left unchanged, no WAL)', args: (_fx, w) => ['report', '--db', join(w, 'foreign.db')], copies: ['foreign.db'], says: /foreign\.db/ },
    { name: 'a --db with a clashing runs table', args: (_fx, w) => ['report', 'some-run', '--db', join(w, 'clash.db')], copies: ['clash.db'], says: /clash\.db/ },
    { name: 'an unknown run', args: (_fx, w) => ['report', 'no-such-run', '--db', join(w, 'empty-results.db')], copies: ['empty-results.db'], says: /no run 'no-such-run'/ },
    { name: '--out naming an existing file', args: (fx, w) => ['report', 'no-such-run', '--db', join(w, 'empty-results.db'), '--out', fx('afile')], copies: ['empty-results.db'], says: /is a file/ },
  ],
};

let fixtures: string;
let fx: (name: string) => string;
const home = process.cwd();

beforeAll(() => {
  fixtures = mkdtempSync(join(tmpdir(), 'mns-contract-fx-'));
  fx = writeBadInputs(fixtures);
});

const rowDirs: string[] = [];

afterAll(() => {
  process.chdir(home);
  for (const d of [fixtures, ...rowDirs]) rmSync(d, { recursive: true, force: true });
});

/** Runs one row in process, in its own directory and environment, within ROW_TIMEOUT_MS. */
async function runRow(row: Row, w: string): Promise<{ code: number; err: string }> {
  const saved = Object.fromEntries(Object.keys(row.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, row.env);
  process.chdir(w);
  let timer: NodeJS.Timeout | undefined;
  try {
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${ROW_TIMEOUT_MS} ms: the command hangs`)), ROW_TIMEOUT_MS);
    });
    return await Promise.race([run(...row.args(fx, w)), hang]);
  } finally {
    clearTimeout(timer);
    process.chdir(home);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The contract's checks on one line of stderr. */
function expectOneClearLine(err: string, says: RegExp, maxLine = 2100): void {
  expect(err.endsWith('\n') && err.indexOf('\n') === err.length - 1, `exactly one line on stderr, got:\n${err.slice(0, 2000)}`).toBe(true);
  expect(err).toMatch(/^mixnsqueeze: error: /);
  expect(err).not.toMatch(/^\s+at /m);
  expect(err.length).toBeLessThanOrEqual(maxLine);
  expect(err).toMatch(says);
}

for (const [command, rows] of Object.entries(ROWS)) {
  describe(command, () => {
    it.each(rows.map((r) => [r.name, r] as const))('%s: exit 2, one clear line, nothing left behind', async (_name, row) => {
      const w = mkdtempSync(join(tmpdir(), 'mns-contract-row-'));
      rowDirs.push(w);
      for (const f of row.copies ?? []) copyFileSync(fx(f), join(w, f));
      const before = { w: treeSnapshot(w), fx: treeSnapshot(fixtures) };
      const r = await runRow(row, w);
      expect(r.code, r.err).toBe(2);
      expectOneClearLine(r.err, row.says, row.maxLine);
      expect(treeSnapshot(w), 'the row directory is as it was').toEqual(before.w);
      expect(treeSnapshot(fixtures), 'the inputs are as they were').toEqual(before.fx);
    });
  });
}

describe.concurrent('in a process of its own', () => {
  it('mixnsqueeze list with its reader gone (| head -1): exit 0, nothing on stderr', async () => {
    const r = await spawnCli(['list'], { closeStdout: true });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('a plugin that never finishes loading: exit 2 and one line, not a silent exit 13', async () => {
    const r = await spawnCli(['--plugin', plugin('never-settles'), 'list'], { env: { MIXNSQUEEZE_PLUGIN_TIMEOUT: '1' } });
    expect(r.code, r.err).toBe(2);
    expectOneClearLine(r.err, /did not finish loading within 1 s/);
  });
});
