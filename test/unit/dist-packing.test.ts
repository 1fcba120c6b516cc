/**
 * What scripts/build.mjs makes of esbuild's chunks (built by the global setup): CommonJS in ASCII
 * only, the start-up chunks packed into main.cjs and the hot commands' chunks (scripts/pack-chunks.mjs),
 * one module per chunk whether it was packed or read from its file, and source maps Node can read.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const cjs = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
/** A chunk main.cjs carries, by a function it exports. */
const packedChunk = (exported: string): string => {
  const main = readFileSync(join(dist, 'main.cjs'), 'utf8');
  const chunk = [...main.matchAll(/^"(chunk-\w+\.cjs)": function/gm)].map((m) => m[1]!)
    .find((c) => new RegExp(`^\\s+${exported}: \\(\\) => ${exported},?$`, 'm').test(readFileSync(join(dist, c), 'utf8')));
  if (!chunk) throw new Error(`no chunk packed in main.cjs exports ${exported}`);
  return chunk;
};
const node = (script: string, ...flags: string[]) => spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8', cwd: dist });

describe('dist/', () => {
  it('is ASCII only: one other character, even in a comment, makes V8 hold a whole file as a two-byte string', () => {
    expect(cjs.length).toBeGreaterThan(20);
    for (const f of cjs) expect(/[^\0-\x7f]/.test(readFileSync(join(dist, f), 'utf8')), f).toBe(false);
  });

  it('a chunk packed into main.cjs and the same chunk required from its file are one module', () => {
    const chunk = packedChunk('parseDuration');
    const r = node(`const main = require('./main.cjs'); const m = require('./${chunk}'); const again = require('./${chunk}');
      process.stdout.write(JSON.stringify({ same: m === again, fn: typeof m.parseDuration, cached: Object.keys(require.cache).filter((k) => k.endsWith('${chunk}')).length }));`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ same: true, fn: 'function', cached: 1 });
    // The file was not read: the module was registered by main.cjs's pack.
    const reads = node(`const fs = require('fs'); const read = fs.readFileSync; const seen = [];
      fs.readFileSync = function (p, ...rest) { seen.push(String(p)); return read.call(this, p, ...rest); };
      require('./main.cjs'); require('./${chunk}'); process.stdout.write(JSON.stringify(seen.filter((p) => p.endsWith('.cjs')).map((p) => p.split(/[\\\\/]/).pop())));`);
    expect(JSON.parse(reads.stdout)).toEqual(['main.cjs']);
  });

  it('Node maps a frame in a packed file back to the TypeScript source, in the packed chunk and in the file\'s own code', () => {
    const r = node(`const main = require('./main.cjs'); const { parseDuration } = require('./${packedChunk('parseDuration')}');
      const frame = (f) => { try { f(); } catch (e) { return e.stack.split('\\n')[1]; } };
      process.stdout.write(JSON.stringify([frame(() => parseDuration('bogus')), frame(() => main.createProgram(undefined, undefined, 5))]));`, '--enable-source-maps');
    expect(r.stderr).toBe('');
    const [inChunk, inMain] = JSON.parse(r.stdout) as string[];
    expect(inChunk).toMatch(/src[\\/]util[\\/]duration\.ts:\d+:\d+/);
    expect(inMain).toMatch(/src[\\/]cli[\\/]main\.ts:\d+:\d+/);
  });
});
