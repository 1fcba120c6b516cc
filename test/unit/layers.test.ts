/**
 * The layering the library depends on (issue 16), held by reading every import in src/: the
 * adapters on either side do not reach into each other, the shared HTTP/retry/AWS plumbing depends
 * on neither, and nothing below the CLI imports the CLI (so the library can run without it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []);
}

/** Every relative import (static, type-only and dynamic) of every file, as paths under src/. */
const edges: Array<{ from: string; to: string }> = files(SRC).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => ({ from: relative(SRC, file), to: relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts') }));
});

const top = (p: string) => p.split('/')[0]!;
const crossing = (from: string, to: string[]) =>
  edges.filter((e) => top(e.from) === from && to.includes(top(e.to))).map((e) => `${e.from} → ${e.to}`);

describe('layers', () => {
  it('reads the import graph (a broken regex would make every rule below vacuous)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from.startsWith('dns-hosts/') && e.to.startsWith('remote/'))).toBe(true);
    expect(edges.some((e) => e.from.startsWith('providers/') && e.to.startsWith('remote/'))).toBe(true);
  });

  it('DNS-host writers and email providers do not import each other', () => {
    expect(crossing('dns-hosts', ['providers'])).toEqual([]);
    expect(crossing('providers', ['dns-hosts'])).toEqual([]);
  });

  it('the shared API plumbing (src/remote) depends on no adapter, flow or front end', () => {
    expect(crossing('remote', ['providers', 'dns-hosts', 'core', 'cli', 'lib', 'render'])).toEqual([]);
  });

  it('nothing below the CLI imports the CLI', () => {
    for (const layer of ['core', 'dns', 'dns-hosts', 'providers', 'remote', 'model', 'validators', 'state', 'reports', 'render', 'util']) {
      expect(crossing(layer, ['cli']), layer).toEqual([]);
    }
  });
});
