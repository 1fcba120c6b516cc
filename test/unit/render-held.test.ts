/** "unchanged" / "verified" lines show what the zone holds when it differs from the proposal (issue 12 item 8). */
import { describe, expect, it } from 'vitest';
import { renderVerify } from '../../src/render/verify.js';
import { renderPlan } from '../../src/render/plan.js';
import type { DomainVerification } from '../../src/core/verify.js';
import type { Plan } from '../../src/dns-hosts/plan.js';

const proposal = { purpose: 'dmarc', type: 'TXT', name: '_dmarc.acme.test', value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' } as const;

describe('what the zone holds', () => {
  it('verify: a DMARC verified by the owner\'s p=reject shows p=reject, and the proposal as such', () => {
    const v = {
      domain: 'acme.test', provider: 'ses', status: 'verified', stage: null, providerStatus: 'unchecked', providerAction: null, allVerified: true, authoritative: [], notes: [], checkedAt: '',
      records: [{ ...proposal, status: 'verified', code: null, found: ['v=DMARC1; p=reject; rua=mailto:d@acme.test'], detail: 'A valid DMARC policy (p=reject) other than the one suggested; kept as the owner chose.', hint: null, resolvers: {}, staleFor: {} }],
    } as unknown as DomainVerification;
    const lines = renderVerify(v, 0, 120);
    expect(lines[1]).toMatch(/_dmarc\.acme\.test  → v=DMARC1; p=reject; rua=mailto:d@acme\.test  verified/);
    expect(lines[2]).toBe("      the zone holds this; proposed: v=DMARC1; p=none");
    expect(lines[3]).toMatch(/kept as the owner chose/);
    // The same record verified as proposed: one line, no "proposed".
    const same = { ...v, records: [{ ...v.records[0]!, found: ['v=DMARC1; p=none'], detail: null }] } as DomainVerification;
    expect(renderVerify(same, 0, 120).join('\n')).not.toMatch(/proposed/);
  });

  it('plan: an unchanged entry covered by the zone\'s own record shows that record', () => {
    const existing = { type: 'TXT', name: '_dmarc.acme.test', value: 'v=DMARC1; p=reject', priority: null, ttl: 300 };
    const plan = { entries: [{ action: 'unchanged', record: proposal, existing, change: null, reason: null, fix: null }], untouched: [] } as unknown as Plan;
    const lines = renderPlan(plan, 'Cloudflare', 'acme.test', 0, 120);
    expect(lines[1]).toMatch(/^= unchanged TXT   _dmarc\.acme\.test  v=DMARC1; p=reject$/);
    expect(lines[2]).toMatch(/\(the zone holds this; proposed: v=DMARC1; p=none\)/);
  });
});
