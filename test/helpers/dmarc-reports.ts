/**
 * A DMARC aggregate report generator for tests and the bench: a scenario table (sources with daily
 * volumes, authentication and pass rates; reporters; a policy history) → one RFC 7489 or RFC 9990
 * XML report per reporter per day, as receivers send them.
 */
export interface GenAuth { domain: string; selector?: string; result: 'pass' | 'fail' | 'none' | 'softfail' | 'neutral' }

export interface GenSource {
  ip: string;
  /** Messages per day, split across the reporters. */
  perDay: number;
  dkim?: GenAuth[];
  spf?: GenAuth;
  envelopeFrom?: string;
  /** Share of messages whose authentication fails (DKIM and SPF both fail). Default 0. */
  failRate?: number;
  /** Days (0 = the first report day) the source sends on; default every day. */
  fromDay?: number;
  toDay?: number;
  reason?: string;
}

export interface Scenario {
  domain: string;
  /** The last report day (YYYY-MM-DD). */
  lastDay: string;
  days: number;
  reporters: { org: string; email: string }[];
  /** The published policy on day i (0-based), default none. */
  policy?: (day: number) => 'none' | 'quarantine' | 'reject';
  sources: GenSource[];
  format?: 'rfc7489' | 'rfc9990';
  /** Skip days (0-based) with no report at all. */
  skipDays?: number[];
}

export interface GeneratedReport { name: string; xml: string; day: string }

const orgOf = (d: string): string => d.split('.').slice(-2).join('.');
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function generateReports(s: Scenario): GeneratedReport[] {
  const out: GeneratedReport[] = [];
  const lastMs = Date.parse(`${s.lastDay}T00:00:00Z`);
  const format = s.format ?? 'rfc7489';
  let seq = 1;
  for (let i = 0; i < s.days; i++) {
    if (s.skipDays?.includes(i)) continue;
    const dayMs = lastMs - (s.days - 1 - i) * 86_400_000;
    const day = new Date(dayMs).toISOString().slice(0, 10);
    const begin = dayMs / 1000;
    const end = begin + 86_399;
    const p = s.policy?.(i) ?? 'none';
    s.reporters.forEach((rep, ri) => {
      const records: string[] = [];
      for (const src of s.sources) {
        if ((src.fromDay ?? 0) > i || (src.toDay ?? Infinity) < i) continue;
        // Split the day's volume across reporters, the remainder to the first.
        const share = Math.floor(src.perDay / s.reporters.length) + (ri === 0 ? src.perDay % s.reporters.length : 0);
        if (share === 0) continue;
        const failing = Math.round(share * (src.failRate ?? 0));
        const passing = share - failing;
        if (passing > 0) records.push(record(s.domain, src, passing, false, p, format));
        if (failing > 0) records.push(record(s.domain, src, failing, true, p, format));
      }
      const ns = format === 'rfc9990' ? ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"' : '';
      const policyExtra = format === 'rfc9990' ? '<np>none</np><testing>n</testing><discovery_method>treewalk</discovery_method>' : '<pct>100</pct>';
      const xml = `<?xml version="1.0" encoding="UTF-8"?>
<feedback${ns}>
  <version>1.0</version>
  <report_metadata>
    <org_name>${esc(rep.org)}</org_name>
    <email>${esc(rep.email)}</email>
    <report_id>${seq++}.${ri}.${i}</report_id>
    <date_range><begin>${begin}</begin><end>${end}</end></date_range>${format === 'rfc9990' ? '\n    <generator>mailsetup-test 1.0</generator>' : ''}
  </report_metadata>
  <policy_published>
    <domain>${s.domain}</domain><adkim>r</adkim><aspf>r</aspf><p>${p}</p><sp>${p}</sp>${policyExtra}
  </policy_published>
${records.join('\n')}
</feedback>
`;
      out.push({ name: `${rep.org}!${s.domain}!${begin}!${end}.xml`, xml, day });
    });
  }
  return out;
}

function record(domain: string, src: GenSource, count: number, failing: boolean, p: string, format: string): string {
  const dkim = (src.dkim ?? []).map((d) => ({ ...d, result: failing ? 'fail' : d.result }));
  const spf = src.spf ? { ...src.spf, result: failing ? 'fail' : src.spf.result } : null;
  const org = orgOf(domain);
  const dkimAligned = dkim.some((d) => d.result === 'pass' && orgOf(d.domain) === org);
  const spfAligned = !!spf && spf.result === 'pass' && orgOf(spf.domain) === org;
  const pass = dkimAligned || spfAligned;
  const disposition = pass ? (format === 'rfc9990' && p !== 'none' ? 'pass' : 'none') : p;
  const reason = src.reason ? `<reason><type>${src.reason}</type></reason>` : '';
  return `  <record>
    <row><source_ip>${src.ip}</source_ip><count>${count}</count>
      <policy_evaluated><disposition>${disposition}</disposition><dkim>${dkimAligned ? 'pass' : 'fail'}</dkim><spf>${spfAligned ? 'pass' : 'fail'}</spf>${reason}</policy_evaluated>
    </row>
    <identifiers><header_from>${domain}</header_from>${src.envelopeFrom ? `<envelope_from>${src.envelopeFrom}</envelope_from>` : ''}</identifiers>
    <auth_results>${dkim.map((d) => `<dkim><domain>${d.domain}</domain><selector>${d.selector ?? 'default'}</selector><result>${d.result}</result></dkim>`).join('')}${spf ? `<spf><domain>${spf.domain}</domain><scope>mfrom</scope><result>${spf.result}</result></spf>` : ''}</auth_results>
  </record>`;
}

/** Two reporters, as most small domains see them. */
export const REPORTERS = [
  { org: 'google.com', email: 'noreply-dmarc-support@google.com' },
  { org: 'Outlook.com', email: 'dmarcreport@microsoft.com' },
];
