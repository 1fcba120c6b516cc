#!/usr/bin/env node
// Thin launcher: everything lives in the bundled dist/ (built by `npm install` via `prepare`).
//
// It keeps the code V8 compiled for dist/ between runs: compiling the code a run loads is most of
// what start-up costs beyond Node itself (`mailsetup validate` ~25 ms faster on a warm cache, see
// `npm run bench`). Node 22.1+ does that itself (module.enableCompileCache); on older Node the
// launcher does the same for dist/'s CommonJS files with vm.Script's cachedData. The cache is an
// optimisation only: any failure to read or write it is ignored, and NODE_DISABLE_COMPILE_CACHE=1
// turns it off, as it does Node's own. It lives where Node's own does (NODE_COMPILE_CACHE, else
// <tmpdir>/node-compile-cache), in a folder of its own that only this user can write: bytecode read
// from a folder someone else can write to would be code they chose.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');

/** os.tmpdir() without loading node:os (a fifth of a millisecond): what it does on POSIX. */
function tmpdir() {
  if (process.platform === 'win32') return require('node:os').tmpdir();
  const dir = process.env.TMPDIR || process.env.TMP || process.env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

function keepCompiledCode() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache();
    return;
  }
  // Node's own source-map support hooks the loader this would replace.
  if (process.sourceMapsEnabled) return;
  const fs = require('node:fs');
  const vm = require('node:vm');
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const root = process.env.NODE_COMPILE_CACHE || path.join(tmpdir(), 'node-compile-cache');
  const dir = path.join(root, `mailsetup-${process.version}-${process.arch}${uid === null ? '' : `-${uid}`}`);
  const ours = () => {
    try {
      const st = fs.lstatSync(dir);
      return st.isDirectory() && (uid === null || (st.uid === uid && (st.mode & 0o022) === 0));
    } catch {
      return false;
    }
  };
  let usable = ours();
  // Entries are named after the file and its size and modification time (a rebuild changes them;
  // V8 also rejects data made for other source or flags), and after the dist/ folder and Node's
  // options, so two installs, or runs with and without a V8 flag, do not evict each other.
  const install = [...`${dist}\0${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}`]
    .reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261).toString(36);
  const compiled = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename) {
    if (path.dirname(filename) !== dist) return compile.call(this, content, filename);
    const prefix = `${install}-${path.basename(filename)}-`;
    let entry = null;
    let cachedData;
    try {
      const st = fs.statSync(filename);
      entry = `${prefix}${st.size}-${Math.trunc(st.mtimeMs)}`;
      if (usable) cachedData = fs.readFileSync(path.join(dir, entry));
    } catch {
      // no entry yet
    }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (entry && (!cachedData || script.cachedDataRejected)) compiled.push([prefix, entry, script]);
    const mod = this;
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = module;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return script.runInThisContext({ displayErrors: true }).call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  };
  // Written when the run ends, so the data holds every function the run compiled, not only the
  // top level of each file.
  process.once('exit', () => {
    if (!compiled.length) return;
    try {
      if (!usable) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        usable = ours();
      }
      if (!usable) return;
      const stale = fs.readdirSync(dir);
      for (const [prefix, entry, script] of compiled) {
        const file = path.join(dir, entry);
        const temp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(temp, file);
        // Older builds' entries for the same file of the same install.
        for (const old of stale) if (old.startsWith(prefix) && old !== entry && !old.endsWith('.tmp')) fs.rmSync(path.join(dir, old), { force: true });
      }
    } catch {
      // a cache that cannot be written is skipped, never an error
    }
  });
}

keepCompiledCode();

let cli;
try {
  cli = require('../dist/main.cjs');
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes('main.cjs')) throw err;
  process.stderr.write(`error: mailsetup is not built (${err.code}) [INTERNAL]\nhint: Run "npm install" (or "npm run build") in the mailsetup folder.\n`);
  process.exitCode = 70;
}
if (cli) cli.main(process.argv).then((code) => { process.exitCode = code; });
