#!/usr/bin/env node
// Thin launcher: everything lives in the bundled dist/ (built by `npm install` via `prepare`).
import module from 'node:module';

// On Node 22.1+ V8 keeps the compiled code of dist/ on disk between runs (compiling the code a run
// loads is most of what start-up costs beyond Node itself); Node 20 has no such cache, so this is
// a no-op there. A cache that cannot be written is skipped by Node, never an error.
module.enableCompileCache?.();

import('../dist/main.js').then(
  async ({ main }) => { process.exitCode = await main(process.argv); },
  (err) => {
    process.stderr.write(`error: mailsetup is not built (${err.code ?? err.message}) [INTERNAL]\nhint: Run "npm install" (or "npm run build") in the mailsetup folder.\n`);
    process.exitCode = 70;
  },
);
