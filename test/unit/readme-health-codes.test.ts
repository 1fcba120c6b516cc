/** The health finding codes are a contract too: each one emitted is in the README's health table, and the table names no other. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';

describe('README documents every health finding code', () => {
  it('codes emitted by the health rules and the delivery adapters match the README table', () => {
    const files = ['src/core/health-rules.ts', 'src/core/health.ts', ...['ses', 'sendgrid', 'mailgun', 'resend'].flatMap((p) => readdirSync(`src/providers/${p}`).map((f) => `src/providers/${p}/${f}`))];
    const code = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const emitted = new Set([...code.matchAll(/code: '([A-Z][A-Z_]+)'/g)].map((m) => m[1]!));
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Health (`health`)'), readme.indexOf('## Exit codes'));
    const documented = new Set([...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!));
    expect(emitted.size).toBeGreaterThan(12);
    expect([...emitted].filter((c) => !documented.has(c)).sort()).toEqual([]);
    expect([...documented].filter((c) => !emitted.has(c)).sort()).toEqual([]);
  });
});
