import { defineConfig } from 'vitest/config';

/**
 * The export condition under which the workspace's packages resolve to their TypeScript sources
 * (`src/`) instead of their build (`dist/`, what users install): tests run from sources, with no
 * build step. Vitest also passes the server conditions to its worker processes as `--conditions`.
 */
const SOURCE = '@mixnsqueeze/source';

export default defineConfig({
  // Vite's default server conditions (less 'module', as vitest drops it) and the sources' one.
  ssr: { resolve: { conditions: ['node', 'development|production', SOURCE] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Native addons (onnxruntime-node) and wasm backends are safest in child processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report is what .ci/run counts from (vitest's own closing line is not read by CI).
    reporters: ['default', ['json', { outputFile: 'node_modules/.cache/vitest-report.json' }]],
  },
});
