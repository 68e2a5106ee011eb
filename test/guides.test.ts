import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram, builtinRegistry, main } from '@mixnsqueeze/game';
import { cliInvocations, guideBlocks, shellLines } from './guide-blocks.ts';

const ROOT = join(import.meta.dirname, '..');
const GUIDES = join(ROOT, 'docs/guides');
const blocks = guideBlocks(GUIDES);
const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const quiet = { stdout: () => {}, stderr: () => {}, interactive: false };

/** The subcommand and long options of an invocation must exist in the CLI as built. */
function checkAgainstCli(args: string[]): void {
  const program = buildProgram({ ...quiet, registry: async () => builtinRegistry() });
  const known = (cmd: { options: readonly { long?: string }[] }) => cmd.options.map((o) => o.long);
  const name = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '--plugin');
  let sub = program.commands.find((c) => c.name() === name);
  expect(sub, `unknown command '${name}' in: mixnsqueeze ${args.join(' ')}`).toBeDefined();
  // A command with subcommands (`token create`): the options belong to the subcommand.
  if (sub!.commands.length > 0) {
    const word = args[args.indexOf(name!) + 1];
    const nested = sub!.commands.find((c) => c.name() === word);
    expect(nested, `unknown command '${name} ${word}' in: mixnsqueeze ${args.join(' ')}`).toBeDefined();
    sub = nested;
  }
  for (const a of args.filter((w) => w.startsWith('--'))) {
    expect([...known(program), ...known(sub!), '--help'], `unknown option ${a} in: mixnsqueeze ${args.join(' ')}`).toContain(a.split('=')[0]);
  }
}

describe('guides: every code block runs', () => {
  it('finds the guides and their blocks', () => {
    expect(new Set(blocks.map((b) => b.guide)).size).toBeGreaterThanOrEqual(7);
    expect(blocks.filter((b) => b.lang === 'ts' && b.run).length).toBeGreaterThanOrEqual(7);
  });

  const cache = join(ROOT, 'node_modules/.cache/guides');
  mkdirSync(cache, { recursive: true });
  for (const b of blocks) {
    const where = `${b.guide}:${b.line}`;
    if (b.lang === 'ts') {
      it.runIf(b.run)(`${where} (TypeScript) runs`, async () => {
        // Written under the repository so that its imports resolve like a user's project.
        const file = join(cache, `${b.guide.replace(/\.md$/, '')}-${b.index}.ts`);
        writeFileSync(file, b.code);
        await import(pathToFileURL(file).href);
        // Some guides train or attack a small model: a minute on an idle CI core, more under load.
      }, 180_000);
    } else if (b.lang === 'sh') {
      it(`${where} (shell) ${b.run ? 'runs' : 'names commands that exist'}`, async () => {
        for (const line of shellLines(b.code)) {
          const npm = /^npm (?:run )?(\S+)/.exec(line);
          if (npm && !['ci', 'install', 'test', 'run'].includes(npm[1]!)) expect(scripts, line).toContain(npm[1]);
        }
        // Shell blocks are written for the repository root; their outputs go to ignored folders.
        const cwd = process.cwd();
        try {
          for (const args of cliInvocations(b.code)) {
            checkAgainstCli(args);
            if (!b.run) continue;
            process.chdir(ROOT);
            let err = '';
            const code = await main(['node', 'mixnsqueeze', ...args], { ...quiet, stderr: (s) => void (err += s) });
            expect(code, `mixnsqueeze ${args.join(' ')}: ${err}`).toBe(0);
          }
        } finally {
          process.chdir(cwd);
        }
      });
    }
  }
});
