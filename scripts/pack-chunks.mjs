// Inline a CommonJS chunk's start-up dependencies into the chunk itself (used by build.mjs).
//
// esbuild's code splitting leaves `validate` reading 22 small files before it asks DNS anything, and
// each costs Node's loader a path resolution, two reads and a module object, about a quarter of a
// millisecond, which is a tenth of what `validate` adds to Node's own start-up. A packed file carries
// the bodies of the chunks it would require at load time and runs each the way Node would: on its
// first require(), registered in require.cache under the chunk's own file name before its body runs
// (so a cycle sees partial exports, as in Node). Because the cache key is the real file name, a chunk
// packed here and the same chunk loaded from its file elsewhere (the library, another command) are one
// module, never two copies. The chunk files stay in dist/ for those other loaders.
//
// The packed file's source map is the chunks' own maps laid end to end (one flat map: Node 20 cannot
// read an index map with sections).
import { decode, encode } from '@jridgewell/sourcemap-codec';

const LOADER = `function __msPacked(realRequire, parent, dir, bodies) {
  const Module = parent.constructor;
  const join = realRequire('node:path').join;
  const require = (id) => {
    const body = id.startsWith('./') ? bodies[id.slice(2)] : undefined;
    if (!body) return realRequire(id);
    const filename = join(dir, id.slice(2));
    const cached = Module._cache[filename];
    if (cached) return cached.exports;
    const module = new Module(filename, parent);
    module.filename = filename;
    module.paths = parent.paths;
    Module._cache[filename] = module;
    try {
      body.call(module.exports, module.exports, require, module, filename, dir);
    } catch (err) {
      delete Module._cache[filename];
      throw err;
    }
    module.loaded = true;
    return module.exports;
  };
  return Object.assign(require, { resolve: realRequire.resolve, main: realRequire.main, cache: realRequire.cache, extensions: realRequire.extensions });
}`;

const lines = (text) => text.split('\n').length - 1;
const withoutMapComment = (text) => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');

/**
 * @param {string} name the file to pack (`main.cjs`)
 * @param {Map<string, { text: string, map: object }>} files every CommonJS chunk by file name
 * @param {string[]} inline the chunks to carry, in any order (those the file requires at load time)
 * @returns {{ text: string, map: object }}
 */
export function packChunk(name, files, inline) {
  const own = files.get(name);
  const parts = ['"use strict";\n', `// ${inline.length} chunks this file loads at start are inlined below (scripts/pack-chunks.mjs).\n`, 'require = __msPacked(require, module, __dirname, {\n'];
  const sections = [];
  let line = lines(parts.join(''));
  for (const chunk of [...inline].sort()) {
    const { text, map } = files.get(chunk);
    const head = `${JSON.stringify(chunk)}: function (exports, require, module, __filename, __dirname) {\n`;
    parts.push(head);
    line += lines(head);
    sections.push({ offset: { line, column: 0 }, map });
    const body = withoutMapComment(text);
    parts.push(body, '},\n');
    line += lines(body) + 1;
  }
  parts.push('});\n', LOADER, '\n');
  line += 1 + lines(LOADER) + 1;
  sections.push({ offset: { line, column: 0 }, map: own.map });
  parts.push(withoutMapComment(own.text), `//# sourceMappingURL=${name}.map\n`);
  return { text: parts.join(''), map: flatten(name, sections) };
}

/** One source map from maps that each start at a line of the file (their `offset`). */
function flatten(file, sections) {
  const sources = [];
  const sourcesContent = [];
  const names = [];
  const lines = [];
  for (const { offset, map } of sections) {
    const source = sources.length;
    const name = names.length;
    sources.push(...map.sources);
    sourcesContent.push(...(map.sourcesContent ?? map.sources.map(() => null)));
    names.push(...(map.names ?? []));
    decode(map.mappings).forEach((segments, i) => {
      lines[offset.line + i] = segments.map((s) => (s.length === 1 ? s : s.length === 4 ? [s[0], s[1] + source, s[2], s[3]] : [s[0], s[1] + source, s[2], s[3], s[4] + name]));
    });
  }
  for (let i = 0; i < lines.length; i++) lines[i] ??= [];
  return { version: 3, file, sources, sourcesContent, names, mappings: encode(lines) };
}
