/**
 * `--help` imports no SDK (DESIGN.md "Performance"), and `health --help` neither: walk the static
 * import graph of the bundle from the CLI entry (esbuild's metafile) and from the health and
 * warmup command chunks. SDKs may only be reached through a dynamic import.
 */
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const SDK = /node_modules\/(@aws-sdk|@smithy|@sendgrid|mailgun\.js|resend|axios)\//;

describe('lazy SDKs', () => {
  it('nothing statically imported from the CLI entry, or from the health and warmup commands, is an SDK', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mailsetup-meta-'));
    try {
      const r = await build({
        entryPoints: { main: 'src/cli/main.ts' }, outdir, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
        metafile: true, write: false, logLevel: 'silent',
        banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
      });
      const outputs = r.metafile.outputs;
      const key = (p: string) => relative(process.cwd(), resolve(p));
      const byKey = new Map(Object.entries(outputs).map(([k, v]) => [key(k), v]));
      /** Inputs reachable from an output through static imports only. */
      const staticInputs = (start: string): string[] => {
        const seen = new Set<string>();
        const stack = [start];
        const inputs: string[] = [];
        while (stack.length) {
          const k = stack.pop()!;
          if (seen.has(k)) continue;
          seen.add(k);
          const o = byKey.get(k);
          if (!o) continue;
          inputs.push(...Object.keys(o.inputs));
          for (const imp of o.imports) if (imp.kind === 'import-statement' && !imp.external) stack.push(key(imp.path));
        }
        return inputs;
      };
      const entry = [...byKey.entries()].find(([, o]) => o.entryPoint === 'src/cli/main.ts')![0];
      expect(staticInputs(entry).filter((i) => SDK.test(i))).toEqual([]);
      for (const cmd of ['src/cli/commands/health.ts', 'src/cli/commands/warmup.ts']) {
        const chunk = [...byKey.entries()].find(([, o]) => Object.keys(o.inputs).includes(cmd));
        expect(chunk, cmd).toBeDefined();
        expect(staticInputs(chunk![0]).filter((i) => SDK.test(i)), cmd).toEqual([]);
      }
      // And the SDKs are in the bundle at all (the check would pass vacuously otherwise).
      expect(Object.values(outputs).some((o) => Object.keys(o.inputs).some((i) => i.includes('@aws-sdk/client-cloudwatch')))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
