// Bundle the CLI with esbuild. Code splitting keeps each command (and each provider SDK) in its own
// chunk, loaded only by the dynamic import that needs it, so `--help` stays cheap.
//
// dist/ is never emptied first: chunk names are content hashes, so a CLI process that is running
// while a build happens (parallel test workers) still finds every chunk it references. Files the
// new build did not write are pruned once they are a minute old.
import { build } from 'esbuild';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const outdir = resolve('dist');
const result = await build({
  entryPoints: { main: 'src/cli/main.ts', 'embedded-server': 'src/dns/embedded-server.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // CommonJS dependencies (cli-table3) call require() for Node built-ins.
  banner: { js: "import { createRequire as __msCreateRequire } from 'node:module'; const require = __msCreateRequire(import.meta.url);" },
});
const written = new Set(Object.keys(result.metafile.outputs).map((p) => resolve(p)));
for (const name of readdirSync(outdir)) {
  const file = join(outdir, name);
  if (!written.has(file) && Date.now() - statSync(file).mtimeMs > 60_000) rmSync(file, { force: true });
}
