import type { Command } from 'commander';
import type { ComponentInfo } from '@mixnsqueeze/core';
import type { CliContext } from '../context.ts';

interface JsonSchemaProperty {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  description?: string;
}

function describeParams(info: ComponentInfo): string[] {
  const props = (info.params.properties ?? {}) as Record<string, JsonSchemaProperty>;
  const required = new Set((info.params.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, p]) => {
    const range: string[] = [];
    if (p.minimum !== undefined) range.push(`>= ${p.minimum}`);
    if (p.exclusiveMinimum !== undefined) range.push(`> ${p.exclusiveMinimum}`);
    if (p.maximum !== undefined) range.push(`<= ${p.maximum}`);
    if (p.exclusiveMaximum !== undefined) range.push(`< ${p.exclusiveMaximum}`);
    const dflt = p.default !== undefined ? `, default ${JSON.stringify(p.default)}` : required.has(name) ? ', required' : '';
    return `${name}: ${p.type ?? 'any'}${range.length ? ` ${range.join(', ')}` : ''}${dflt}${p.description ? ` (${p.description})` : ''}`;
  });
}

/** `mixnsqueeze list [--json]`: every registered component with its parameters and examples. */
export function registerListCommand(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description('list every registered component (squeezers, randomizers, attacks, adversaries) with its parameters')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const infos = (await ctx.registry()).list();
      if (opts.json) {
        ctx.stdout(`${JSON.stringify(infos, null, 2)}\n`);
        return;
      }
      let role = '';
      for (const info of infos) {
        if (info.role !== role) {
          role = info.role;
          ctx.stdout(`\n${role}s:\n`);
        }
        ctx.stdout(`  ${info.id.padEnd(12)} ${info.summary}\n`);
        for (const line of describeParams(info)) ctx.stdout(`  ${''.padEnd(12)}   ${line}\n`);
        ctx.stdout(`  ${''.padEnd(12)}   e.g. ${info.examples.join('  ')}\n`);
      }
    });
}
