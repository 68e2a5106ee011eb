import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A fenced code block of a guide: its language, its info-string flags and its text. */
export interface GuideBlock {
  readonly guide: string;
  readonly index: number;
  readonly lang: string;
  /** `no-run`: shown, not executed (its commands are still checked against the CLI). */
  readonly run: boolean;
  readonly code: string;
  readonly line: number;
}

const FENCE = /^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm;

/** Every fenced block of every guide in `dir`, in order. */
export function guideBlocks(dir: string): GuideBlock[] {
  const out: GuideBlock[] = [];
  for (const guide of readdirSync(dir).filter((f) => f.endsWith('.md')).sort()) {
    const text = readFileSync(join(dir, guide), 'utf8');
    let index = 0;
    for (const m of text.matchAll(FENCE)) {
      out.push({
        guide,
        index: index++,
        lang: m[1]!,
        run: !/\bno-run\b/.test(m[2]!),
        code: m[3]!,
        line: text.slice(0, m.index).split('\n').length,
      });
    }
  }
  return out;
}

/**
 * The `mixnsqueeze` invocations of a shell block as argument lists: lines starting with
 * `npx mixnsqueeze`, comments and continuation lines handled, words split as a POSIX shell would
 * for the quoting the guides use (single and double quotes, no expansions).
 */
export function cliInvocations(code: string): string[][] {
  const out: string[][] = [];
  for (const line of shellLines(code)) {
    if (!line.startsWith('npx mixnsqueeze')) continue;
    const words = [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3]!);
    out.push(words.slice(2));
  }
  return out;
}

/** The commands of a shell block: continuation lines joined, comments and blank lines dropped. */
export function shellLines(code: string): string[] {
  return code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((raw) => raw.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line.length > 0);
}
