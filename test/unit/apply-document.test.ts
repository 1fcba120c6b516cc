/**
 * autoconfig's --json report carries the DNS host's error texts. The adapters redact what they
 * build, but an unexpected error's text is passed on as it was: the document redacts every one, with
 * the caller's environment (the library's `env` option, the CLI's process environment).
 */
import { describe, expect, it } from 'vitest';
import { applyDocument } from '../../src/render/plan.js';
import type { ApplyReport, HostChange } from '../../src/dns-hosts/types.js';

const change: HostChange = { kind: 'create', record: { type: 'TXT', name: 'mail.acme.test', value: 'v=spf1 ~all', priority: null, ttl: 300 } } as HostChange;

describe('applyDocument', () => {
  it('redacts a secret from the environment in conflict and failure texts', () => {
    const env = { CLOUDFLARE_API_TOKEN: 'cf-secret-token-1234' };
    const report: ApplyReport = {
      applied: [], skipped: [],
      conflicts: [{ change, error: new Error('rejected: Authorization Bearer cf-secret-token-1234') }],
      failed: { change, error: new Error('socket hang up after cf-secret-token-1234') },
    } as unknown as ApplyReport;
    const doc = applyDocument(report, env) as { conflicts: Array<{ error: string }>; failed: { error: string } };
    expect(doc.conflicts[0]!.error).toBe('rejected: Authorization Bearer ***');
    expect(doc.failed.error).toBe('socket hang up after ***');
    expect(JSON.stringify(doc)).not.toContain('cf-secret-token-1234');
  });
});
