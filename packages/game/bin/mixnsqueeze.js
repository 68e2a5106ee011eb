#!/usr/bin/env node
// The mixnsqueeze CLI. `#cli` (package.json "imports") is the compiled dist/cli/main.js; under the
// `@mixnsqueeze/source` condition (the workspace's `npm start`: node --conditions=@mixnsqueeze/source
// --import tsx) it is src/cli/main.ts, so development needs no build step.
import { main } from '#cli';

process.exitCode = await main(process.argv);
