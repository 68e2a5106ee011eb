/**
 * `npm run docs`: builds the API reference (typedoc, options from typedoc.json) into docs/api,
 * and refuses to when a public symbol has no doc comment. Its entry points are the ones users
 * import: every export of every published package (the workspaces that are not private), read from
 * the package's `exports` map, at its sources (the `@mixnsqueeze/source` condition, whose
 * `dist/` twin under `import` and `types` is what an installed package resolves to).
 *
 * typedoc's own `validation.notDocumented` is not used: in 0.28 it reports almost nothing
 * (TypeStrong/typedoc#3046). Instead the converted project is walked here: every exported
 * top-level declaration (class, interface, function, variable, type alias, enum) and every public
 * member declared (not inherited) on an exported class or interface (property, method, accessor;
 * constructors excluded) must carry a doc comment, on the reflection itself or on one of its
 * signatures / accessor signatures. Missing ones are printed one per line and the exit code is 1,
 * with no site written.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Application,
  type Comment,
  type DeclarationReflection,
  type OptionsReader,
  type ProjectReflection,
  type Reflection,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
  type TypeDocOptions,
} from 'typedoc';

/** One public symbol without a doc comment. */
export interface MissingDoc {
  /** The entry point's module name as typedoc shows it, e.g. `core/src`. */
  module: string;
  /** `Symbol` for a top-level declaration, `Symbol.member` for a class or interface member. */
  symbol: string;
  /** typedoc's kind of the reflection, e.g. `Function`, `Property`. */
  kind: string;
  /** Absolute path of the declaring source file, when typedoc kept it. */
  file?: string;
  /** 1-based line of the declaration in {@link MissingDoc.file}, when known. */
  line?: number;
}

const TOP_LEVEL_KINDS =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.Function |
  ReflectionKind.Variable |
  ReflectionKind.TypeAlias |
  ReflectionKind.Enum;

const MEMBER_KINDS = ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor;

const CONTAINER_KINDS = ReflectionKind.Class | ReflectionKind.Interface;

function hasText(comment: Comment | undefined): boolean {
  if (!comment) return false;
  const summary = comment.summary.some((part) => part.text.trim() !== '');
  const tags = comment.blockTags.some((tag) => tag.content.some((part) => part.text.trim() !== ''));
  return summary || tags;
}

/** Whether the reflection, one of its call signatures or one of its accessor signatures is documented. */
function isDocumented(reflection: DeclarationReflection): boolean {
  if (hasText(reflection.comment)) return true;
  if (reflection.signatures?.some((s) => hasText(s.comment))) return true;
  if (hasText(reflection.getSignature?.comment) || hasText(reflection.setSignature?.comment)) return true;
  // `export const f = (…) => …` and `type F = (…) => …`: the comment may sit on the type's signature.
  const type = reflection.type;
  if (type?.type === 'reflection' && type.declaration.signatures?.some((s) => hasText(s.comment))) return true;
  return false;
}

const lineCache = new Map<string, string>();

function locate(project: ProjectReflection, reflection: Reflection): Pick<MissingDoc, 'file' | 'line'> {
  const id = project.getSymbolIdFromReflection(reflection);
  const fromSources = (reflection as DeclarationReflection).sources?.[0];
  const file = id?.fileName ?? fromSources?.fullFileName;
  if (!file) return {};
  if (fromSources?.line) return { file, line: fromSources.line };
  if (id && Number.isFinite(id.pos)) {
    try {
      let text = lineCache.get(file);
      if (text === undefined) {
        text = readFileSync(file, 'utf8');
        lineCache.set(file, text);
      }
      // pos points at the declaration's full start (leading trivia included); skip to its first token.
      let pos = id.pos;
      while (pos < text.length && /\s/.test(text[pos]!)) pos += 1;
      return { file, line: text.slice(0, pos).split('\n').length };
    } catch {
      return { file };
    }
  }
  return { file };
}

/**
 * Lists the public symbols of a converted project that have no doc comment: exported top-level
 * declarations of every module (and of namespaces inside them), and the public, non-inherited
 * properties, methods and accessors of exported classes and interfaces. Re-exports under another
 * name (typedoc references) are skipped; their target is checked where it is declared.
 */
export function findUndocumented(project: ProjectReflection): MissingDoc[] {
  const missing: MissingDoc[] = [];
  const seen = new Set<number>();

  const visitModule = (container: ProjectReflection | DeclarationReflection, moduleName: string, prefix: string): void => {
    for (const child of container.children ?? []) {
      if (child.kindOf(ReflectionKind.Module)) {
        visitModule(child, child.name, '');
        continue;
      }
      if (child.kindOf(ReflectionKind.Namespace)) {
        visitModule(child, moduleName, `${prefix}${child.name}.`);
        continue;
      }
      if (!child.kindOf(TOP_LEVEL_KINDS) || seen.has(child.id)) continue;
      seen.add(child.id);
      const symbol = `${prefix}${child.name}`;
      if (!isDocumented(child)) {
        missing.push({ module: moduleName, symbol, kind: ReflectionKind[child.kind], ...locate(project, child) });
      }
      if (!child.kindOf(CONTAINER_KINDS)) continue;
      for (const member of child.children ?? []) {
        if (!member.kindOf(MEMBER_KINDS)) continue;
        if (member.inheritedFrom) continue;
        if (member.flags.isPrivate || member.flags.isProtected) continue;
        if (isDocumented(member)) continue;
        missing.push({
          module: moduleName,
          symbol: `${symbol}.${member.name}`,
          kind: ReflectionKind[member.kind],
          ...locate(project, member),
        });
      }
    }
  };

  // A single entry point gives a project whose children are the declarations themselves.
  visitModule(project, project.children?.some((c) => c.kindOf(ReflectionKind.Module)) ? '' : project.name, '');
  return missing;
}

/** Formats one finding as `module symbol (file:line)`, the file relative to `root`. */
export function formatMissing(entry: MissingDoc, root = process.cwd()): string {
  const where = entry.file ? ` (${relative(root, entry.file)}${entry.line ? `:${entry.line}` : ''})` : '';
  return `${entry.module} ${entry.symbol}${where}`;
}

/**
 * Bootstraps typedoc and converts the project. By default the options come from typedoc.json and
 * tsconfig.json of the working directory; `options` override them (e.g. `options: 'path/typedoc.json'`).
 */
export async function convertProject(
  options: TypeDocOptions = {},
  readers: readonly OptionsReader[] = [new TypeDocReader(), new TSConfigReader()],
): Promise<{ app: Application; project: ProjectReflection }> {
  const app = await Application.bootstrapWithPlugins(options, readers);
  const project = await app.convert();
  if (!project) throw new Error('typedoc could not convert the project (see the messages above)');
  return { app, project };
}

/** The export condition under which a package's `exports` map points at its TypeScript sources. */
export const SOURCE_CONDITION = '@mixnsqueeze/source';

/**
 * The API's entry points, as absolute paths: for each published workspace package of the
 * repository at `root` (the root package.json's `workspaces`, less `private` packages), the
 * source file of each subpath of its `exports` map (the {@link SOURCE_CONDITION} target;
 * `./package.json` and other non-code exports are skipped).
 */
export function packageEntryPoints(root: string = fileURLToPath(new URL('..', import.meta.url))): string[] {
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { workspaces?: string[]; private?: boolean; exports?: Record<string, unknown> };
  const out: string[] = [];
  // A workspace pattern `dir/*` stands for every folder of dir with a package.json.
  const workspaces = (read(join(root, 'package.json')).workspaces ?? []).flatMap((w) =>
    w.endsWith('/*')
      ? readdirSync(join(root, w.slice(0, -2)), { withFileTypes: true })
          .filter((e) => e.isDirectory() && existsSync(join(root, w.slice(0, -2), e.name, 'package.json')))
          .map((e) => `${w.slice(0, -2)}/${e.name}`)
          .sort()
      : [w],
  );
  for (const workspace of workspaces) {
    const pkg = read(join(root, workspace, 'package.json'));
    if (pkg.private) continue;
    for (const target of Object.values(pkg.exports ?? {})) {
      const source = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[SOURCE_CONDITION] : undefined;
      if (typeof source === 'string') out.push(join(root, workspace, source));
    }
  }
  return out;
}

/** Checks the documentation and, when nothing is missing, writes the site; returns the exit code. */
export async function main(options: TypeDocOptions = {}): Promise<number> {
  const { app, project } = await convertProject(options);
  // typedoc's own checks (broken links, symbols referenced but not exported), as its CLI runs them.
  app.validate(project);
  const missing = findUndocumented(project);
  if (missing.length > 0) {
    for (const entry of missing) console.error(formatMissing(entry));
    console.error(`\n${missing.length} public symbol(s) without a doc comment; the API reference was not written.`);
    return 1;
  }
  await app.generateOutputs(project);
  if (app.logger.hasErrors()) return 1;
  console.log(`API reference written to ${app.options.getValue('out')}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main({ entryPoints: packageEntryPoints() }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
