import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSConfigReader } from 'typedoc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertProject, findUndocumented, formatMissing, type MissingDoc, packageEntryPoints } from '../scripts/api-docs.ts';

// `npm run docs` refuses to build when a public symbol lacks a doc comment; this checks the checker
// on a tiny two-file project (one file documented, one not).
describe('api-docs checker', () => {
  let dir: string;
  let missing: MissingDoc[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'api-docs-'));
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, types: [] }, include: ['*.ts'] }));
    await writeFile(
      join(dir, 'documented.ts'),
      [
        '/** Adds one. */',
        'export function addOne(x: number): number { return x + 1; }',
        '/** A shape. */',
        'export interface Shape {',
        '  /** Its area, in square units. */',
        '  readonly area: number;',
        '}',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'undocumented.ts'),
      [
        'export function bare(): number { return 2; }',
        '/** A box. */',
        'export class Box {',
        '  readonly width = 1;',
        '  /** Height, in pixels. */',
        '  get height(): number { return 2; }',
        '  private secret = 3;',
        '}',
        '',
      ].join('\n'),
    );
    const { project } = await convertProject(
      {
        entryPoints: [join(dir, 'documented.ts'), join(dir, 'undocumented.ts')],
        tsconfig: join(dir, 'tsconfig.json'),
        excludePrivate: true,
        skipErrorChecking: true,
        logLevel: 'Error',
      },
      [new TSConfigReader()],
    );
    missing = findUndocumented(project);
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the undocumented declaration and member, and nothing of the documented file', () => {
    expect(missing.map((m) => `${m.module} ${m.symbol}`).sort()).toEqual(['undocumented Box.width', 'undocumented bare']);
    for (const m of missing) expect(m.file).toMatch(/undocumented\.ts$/);
  });

  it('prints one line per symbol with its file and line', () => {
    const bare = missing.find((m) => m.symbol === 'bare')!;
    expect(formatMissing(bare, dir)).toBe('undocumented bare (undocumented.ts:1)');
  });
});

describe('api-docs entry points', () => {
  it("are the published packages' exports, at their sources", () => {
    const root = join(import.meta.dirname, '..');
    expect(packageEntryPoints(root).map((p) => p.slice(root.length + 1))).toEqual([
      ...['core/src/index.ts', 'core/src/errors.ts', 'squeezers/src/index.ts', 'backends/src/index.ts', 'attacks/src/index.ts', 'serve/src/index.ts', 'game/src/index.ts'].map((p) => join('packages', p)),
    ]);
  });
});
