import { main } from '../src/cli/main.ts';

/** Runs the CLI in process and captures what it prints. */
export async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'mixnsqueeze', ...args], {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    interactive: false,
  });
  return { code, out, err };
}
