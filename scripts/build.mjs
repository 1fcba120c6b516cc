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
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { packChunk } from './pack-chunks.mjs';

/** The commands whose start-up chunks are packed into their own chunk (each costs the package a copy). */
const PACKED_COMMANDS = ['validate', 'verify'];

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

/**
 * The CLI is loaded as CommonJS. Node 20 has no compile cache for ES modules, and compiling what a run
 * loads is most of what start-up costs beyond Node itself; for CommonJS the launcher
 * (bin/mailsetup.cjs) keeps V8's code cache between runs, and Node's CommonJS loader is also cheaper
 * per file than its ES module loader. esbuild splits code only in ESM output, so the bundle is built
 * as ESM chunks first and each chunk is then rewritten as a CommonJS module (`import` → `require`,
 * `import()` → a promise of `require`, sibling chunks `.js` → `.cjs`), its source map chained to the
 * first one. Strict mode is kept, as the ES modules had it.
 */
/** The CommonJS file an ESM chunk becomes. */
const cjsName = (path) => basename(path).replace(/\.js$/, '.cjs');

async function toCommonJs(chunk, map) {
  const name = cjsName(chunk.path);
  const inlineMap = `//# sourceMappingURL=data:application/json;base64,${Buffer.from(map.text).toString('base64')}`;
  const converted = await build({
    stdin: { contents: `${chunk.text.replace(/\/\/# sourceMappingURL=\S+\s*$/, '')}\n${inlineMap}\n`, sourcefile: basename(chunk.path), resolveDir: outdir, loader: 'js' },
    outfile: join(outdir, name),
    bundle: true, // to see the imports (all external) and rename them
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
    banner: { js: '"use strict";' },
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
    plugins: [{
      name: 'sibling-chunks-as-cjs',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => ({ path: args.path.startsWith('./') ? args.path.replace(/\.js$/, '.cjs') : args.path, external: true }));
      },
    }],
  });
  return converted.outputFiles.map((f) => (f.path.endsWith('.cjs') ? { path: f.path, text: asciiOnly(f.text) } : f));
}

/**
 * esbuild writes code in ASCII (its default charset escapes every other character) but copies
 * comments as they are, and one "—" or "§" in a comment makes V8 hold the whole file as a two-byte
 * string: decoded in two passes, scanned and searched more slowly (validate: 11 M instructions, 7 %
 * of its cost over Node's). Escaping those characters inside comments changes nothing.
 */
function asciiOnly(text) {
  // Without the u flag each UTF-16 unit matches alone, so a surrogate pair becomes two escapes.
  return text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const outdir = resolve('dist');
const clean = process.argv.includes('--clean');
if (clean) rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
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
  write: false,
  plugins: [lazyChildProcessForCommander],
});
const maps = new Map(result.outputFiles.filter((f) => f.path.endsWith('.js.map')).map((f) => [f.path.slice(0, -'.map'.length), f]));
const outputs = (await Promise.all(result.outputFiles.filter((f) => f.path.endsWith('.js')).map((f) => toCommonJs(f, maps.get(f.path))))).flat();

// The CLI's entry and its hottest commands carry the chunks they load at start inline (see
// scripts/pack-chunks.mjs): `mailsetup --help` then reads one file of dist/, `validate` two.
{
  const esm = result.metafile.outputs;
  const staticClosure = (root) => {
    const seen = new Set();
    const stack = [root];
    while (stack.length) {
      const f = stack.pop();
      if (seen.has(f)) continue;
      seen.add(f);
      for (const i of esm[f].imports) if (i.kind === 'import-statement' && !i.external) stack.push(i.path);
    }
    seen.delete(root);
    return seen;
  };
  const main = relative(process.cwd(), join(outdir, 'main.js'));
  const commands = esm[main].imports.filter((i) => i.kind === 'dynamic-import' && PACKED_COMMANDS.some((c) => basename(i.path).startsWith(`${c}-`))).map((i) => i.path);
  if (commands.length !== PACKED_COMMANDS.length) throw new Error(`build: expected the chunks of ${PACKED_COMMANDS.join(', ')} among main's imports, found ${commands.join(', ')}`);
  const byName = new Map(outputs.map((f) => [basename(f.path), f]));
  const files = new Map([...byName].filter(([n]) => n.endsWith('.cjs')).map(([n, f]) => [n, { text: f.text, map: JSON.parse(byName.get(`${n}.map`).text) }]));
  const atStart = staticClosure(main);
  const packs = [[main, [...atStart]], ...commands.map((c) => [c, [...staticClosure(c)].filter((f) => !atStart.has(f))])];
  for (const [chunk, inline] of packs) {
    const name = cjsName(chunk);
    const packed = packChunk(name, files, inline.map(cjsName));
    const js = byName.get(name);
    const map = byName.get(`${name}.map`);
    outputs[outputs.indexOf(js)] = { path: js.path, text: packed.text };
    outputs[outputs.indexOf(map)] = { path: map.path, text: JSON.stringify(packed.map) };
  }
}

// The library's ES module entry (`import { verify } from 'mailsetup'`): the names dist/index.cjs
// exports, re-exported, so ESM callers do not depend on Node's guess at a CommonJS module's exports.
const libraryExports = result.metafile.outputs[relative(process.cwd(), join(outdir, 'index.js'))]?.exports;
if (!libraryExports?.length || libraryExports.includes('default')) throw new Error(`build: unexpected exports of the library entry: ${libraryExports}`);
outputs.push({
  path: join(outdir, 'index.mjs'),
  text: `// The library's ES module entry: the code is CommonJS (see scripts/build.mjs), re-exported here by name.\nimport lib from './index.cjs';\n\nexport const {\n${libraryExports.map((e) => `  ${e},\n`).join('')}} = lib;\n`,
});

// Unchanged files are not rewritten: the launcher's compile cache is keyed on each file's size and
// modification time, so a rebuild that changes nothing keeps every cached entry valid.
for (const f of outputs) if (!existsSync(f.path) || readFileSync(f.path, 'utf8') !== f.text) writeFileSync(f.path, f.text);
const written = new Set(outputs.map((f) => resolve(f.path)));
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
