// Bundle the CLI with esbuild. Code splitting keeps each command (and each provider SDK) in its own
// chunk, loaded only by the dynamic import that needs it, so `--help` stays cheap.
//
// dist/ is never emptied first: chunk names are content hashes, so a CLI process that is running
// while a build happens (parallel test workers) still finds every chunk it references. Files the
// new build did not write are pruned once they are a minute old.
//
// `--clean` (used by `npm pack`, through `prepack`) empties dist/ first, so the package holds exactly
// one build. Every build also writes dist/THIRD_PARTY_LICENSES.txt: the licence of each package
// bundled into dist/, as users of bundled tools expect, read from the build's own metafile.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * commander require()s node:child_process when it is loaded, for executable subcommands
 * (`program.command('x', 'desc')` running `mailsetup-x`), which mailsetup does not have. Loading
 * child_process (and the dgram, socket-list and spawn internals it pulls in) cost every run, --help
 * included, ~3.5 M instructions (0.6 % of --help). commander gets a stand-in that loads the real module
 * on first use, so its behaviour is unchanged. Only commander's import is replaced.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      loader: 'js',
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
    }));
  },
};

const outdir = resolve('dist');
const clean = process.argv.includes('--clean');
if (clean) rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: 'src/cli/main.ts', index: 'src/lib/index.ts', 'embedded-server': 'src/dns/embedded-server.ts' },
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
  plugins: [lazyChildProcessForCommander],
  // CommonJS dependencies bundled as such (the AWS SDK, proper-lockfile …) call require() for Node built-ins.
  banner: { js: "import { createRequire as __msCreateRequire } from 'node:module'; const require = __msCreateRequire(import.meta.url);" },
});
const written = new Set(Object.keys(result.metafile.outputs).map((p) => resolve(p)));
for (const name of readdirSync(outdir)) {
  const file = join(outdir, name);
  // Only stale chunks are pruned; dist/types (written by tsc for a packed build) is a directory.
  const st = statSync(file);
  if (st.isFile() && !written.has(file) && !name.endsWith('.txt') && Date.now() - st.mtimeMs > 60_000) rmSync(file, { force: true });
}

/** The package roots (`node_modules/@scope/name`) of every bundled input, deepest node_modules last. */
function bundledPackages(inputs) {
  const roots = new Set();
  for (const file of Object.keys(inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) roots.add(m[1]);
  }
  return [...roots].sort();
}

function licenceText(root) {
  const file = readdirSync(root).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  return file ? readFileSync(join(root, file), 'utf8').trim() : null;
}

const sections = [];
for (const root of bundledPackages(result.metafile.inputs)) {
  const pkgFile = join(root, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const text = licenceText(root);
  const licence = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type ?? 'see the package';
  sections.push(`${pkg.name}@${pkg.version} — ${licence}${pkg.repository ? ` — ${typeof pkg.repository === 'string' ? pkg.repository : pkg.repository.url}` : ''}\n\n${text ?? `(no licence file in the package; its package.json says ${licence})`}`);
}
const unique = [...new Map(sections.map((s) => [s.split('\n')[0], s])).values()];
writeFileSync(join(outdir, 'THIRD_PARTY_LICENSES.txt'),
  `mailsetup bundles the following ${unique.length} packages into dist/. Their licences follow.\n\n${unique.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`);

// The package's type declarations (dist/types), for `import { validate } from 'mailsetup'`: only
// for a packed build, since tsc costs seconds that every test run would otherwise pay.
if (clean || process.argv.includes('--types')) {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.lib.json'], { stdio: 'inherit' });
}
