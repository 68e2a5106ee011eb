// `npm run build`: compiles every package and example to ES modules and .d.ts files in its dist/
// (`tsc -b tsconfig.build.json`, TypeScript project references, incremental), then copies the plain
// JavaScript modules of each src/ to the same place under dist/: tsc emits only what it compiles,
// and these are worker and child-process entry points (backends' pool/onnx-worker.mjs, game's
// isolation/child-entry.mjs) located at run time by URL next to the module that starts them, with
// their hand-written declarations (.d.mts). A file is copied only when its bytes differ.
//
// `--keep-going` (the root `prepare` script, run by `npm ci`): a type error is reported but does not
// fail the install. tsc still emits every file, and `npm run typecheck` and the packaging test
// (test/packaging.test.ts) report the error; the tests run from the sources and need no build.
// Plain JavaScript, so that `npm ci` needs no TypeScript loader to run it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const keepGoing = process.argv.includes('--keep-going');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-b', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
const failed = build.status !== 0;

/** Files under dir whose names end in .mjs or .d.mts, recursively. */
function plainFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...plainFiles(p));
    else if (/\.(mjs|d\.mts)$/.test(e.name)) out.push(p);
  }
  return out;
}

const solution = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
let copied = 0;
for (const ref of solution.references) {
  const src = join(root, dirname(ref.path), 'src');
  if (!existsSync(src)) continue;
  for (const file of plainFiles(src)) {
    const to = join(dirname(src), 'dist', relative(src, file));
    if (existsSync(to) && readFileSync(to).equals(readFileSync(file))) continue;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to);
    copied += 1;
  }
}
if (copied > 0) console.log(`build: copied ${copied} plain JavaScript file(s) from src/ to dist/`);

if (failed) {
  console.error(`build: tsc -b failed (status ${build.status ?? build.signal}); dist/ holds what it emitted.`);
  if (keepGoing) console.error('build: --keep-going: the install goes on; `npm run typecheck` shows the errors.');
  else process.exitCode = 1;
}
