/** Finding codes are a contract: every code the validators can emit is documented in the README. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('README documents every finding code', () => {
  it('each code emitted under src/validators is in the README, and the README names no code that does not exist', () => {
    const code = [...sources('src/validators'), ...sources('src/core'), ...sources('src/reports')].map((f) => readFileSync(f, 'utf8')).join('\n');
    const emitted = new Set([...code.matchAll(/['"]((?:SPF|DKIM|DMARC|MX|CNAME|RECORD|REPORT|ARCHIVE|MTA_STS|TLSRPT|DNSSEC|SMTP|BIMI)_[A-Z0-9_]+)['"]/g)].map((m) => m[1]!));
    const readme = readFileSync('README.md', 'utf8');
    const documented = new Set([...readme.matchAll(/`((?:SPF|DKIM|DMARC|MX|CNAME|RECORD|REPORT|ARCHIVE|MTA_STS|TLSRPT|DNSSEC|SMTP|BIMI)_[A-Z0-9_]+)`/g)].map((m) => m[1]!));
    expect(emitted.size).toBeGreaterThan(40);
    expect([...emitted].filter((c) => !documented.has(c)).sort()).toEqual([]);
    expect([...documented].filter((c) => !emitted.has(c)).sort()).toEqual([]);
  });
});
