#!/usr/bin/env node
// Thin launcher: everything lives in the bundled dist/ (built by `npm install` via `prepare`).
import('../dist/main.js').then(
  async ({ main }) => { process.exitCode = await main(process.argv); },
  (err) => {
    process.stderr.write(`error: mailsetup is not built (${err.code ?? err.message}) [INTERNAL]\nhint: Run "npm install" (or "npm run build") in the mailsetup folder.\n`);
    process.exitCode = 70;
  },
);
