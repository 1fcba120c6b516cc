/**
 * `mailsetup demo`: the whole flow, offline, in under a minute — add → records → autoconfig →
 * watch → verified — on an embedded DNS server on loopback, the `sandbox` provider (a simulator)
 * and a zone-file DNS host whose writes become visible over a few seconds. It is also a self-test:
 * any step that does not end as it should fails the demo with exit 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns } from '../../dns/embedded-server.js';
import { parseIdentity } from '../../model/domain-name.js';
import { runAdd } from '../../core/add.js';
import { applyAutoconfig, planAutoconfig } from '../../core/autoconfig.js';
import { runWatch } from '../../core/watch.js';
import type { VerifyDeps } from '../../core/verify.js';
import { createSandboxProvider, SANDBOX_DKIM_ZONE } from '../../providers/sandbox/index.js';
import { createZonefileHost } from '../../dns-hosts/zonefile/index.js';
import { planChanges } from '../../dns-hosts/plan.js';
import { StateStore } from '../../state/store.js';
import { renderRecordsTable, renderZone } from '../../render/records.js';
import { renderPlan, renderApply } from '../../render/plan.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';
import { fmt, sleep, watchView } from './watch.js';
import { wrapLine } from '../../render/table.js';

const ZONE = 'acme.test';
const DOMAIN = `mail.${ZONE}`;

export async function demoCommand(_args: string[], _options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-demo-'));
  const host = createZonefileHost({
    zone: ZONE,
    extra: [{ name: 'spf.sandbox.mailsetup.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.0/24 -all' }],
    // Records appear one after another over a few seconds, like a real DNS host propagating.
    delayMs: (i) => 1500 + i * 700,
    onChange: (z) => dns.setZone(z),
  });
  const dns = await startEmbeddedDns(host.zoneData());
  const ctx = createContext({ ...globals, resolver: [dns.address], authoritative: [dns.address] });
  const out = ctx.out;
  const step = (n: number, text: string) => { out.line(''); out.line(`── ${n}/4 ${text}`); };
  try {
    out.line('mailsetup demo — everything below runs offline on this machine:');
    out.line(`  DNS        an authoritative server on ${dns.address} for the zone ${ZONE}`);
    for (const l of wrapLine('  provider   "sandbox", a SIMULATOR that issues DKIM tokens like a real provider and says verified once DNS matches', out.columns, ' '.repeat(13))) out.line(l);
    out.line(`  DNS host   a zone file, whose writes become visible after a few seconds`);
    out.line(`  state      ${join(dir, 'mailsetup.json')} (removed at the end)`);

    const store = new StateStore({ path: join(dir, 'mailsetup.json'), env: ctx.env });
    const lookup = ctx.dns.lookupVia([dns.address], false);
    const provider = createSandboxProvider(async (name, type) => {
      ctx.dns.forget((n, t) => n === name && t === type);
      return lookup(name, type);
    });

    step(1, `mailsetup add ${DOMAIN} --provider sandbox`);
    const added = await runAdd({ identity: parseIdentity(DOMAIN), provider: 'sandbox', register: {}, dmarc: 'none' }, { store, provider, lookup });
    out.line(`Registered ${DOMAIN} with the sandbox simulator: ${added.entry.status}, ${added.entry.records.length} records to publish.`);
    for (const l of await renderRecordsTable(added.entry.records, ZONE, 'generic', out.colorLevel, out.columns)) out.line(l);

    step(2, `mailsetup records ${DOMAIN} --format zone`);
    for (const l of renderZone(DOMAIN, added.entry.records)) out.line(l);

    step(3, `mailsetup autoconfig ${DOMAIN} --yes`);
    const planned = await planAutoconfig(DOMAIN, { store, writer: host.writer, resolver: lookup, ttl: 300 });
    for (const l of renderPlan(planned.plan, 'the zone file', ZONE, out.colorLevel, out.columns)) out.line(l);
    if (planChanges(planned.plan).length !== added.entry.records.length) throw new MailsetupError('VERIFICATION_FAILED', 'demo: the plan should create every record on an empty zone');
    const applied = await applyAutoconfig(planned, { store, writer: host.writer, dns: ctx.dns, authoritative: [dns.address], resolver: lookup, waitMs: 10_000 });
    for (const l of renderApply(applied.report, out.colorLevel, out.columns)) out.line(l);
    out.line(`Written; the zone file publishes them over the next ${Math.round((1500 + added.entry.records.length * 700) / 1000)} s.`);

    step(4, `mailsetup watch ${DOMAIN} --interval 1s`);
    const deps: VerifyDeps = { store, dns: ctx.dns, resolvers: [dns.address], comparators: [dns.address], authoritative: [dns.address], provider: async () => provider };
    const view = await watchView(ctx, 1000);
    const controller = new AbortController();
    const outcome = await runWatch([DOMAIN], { noProvider: false, refresh: false, intervalMs: 1000, timeoutMs: 45_000 }, deps, {
      now: () => Date.now(), sleep, onRound: view.onRound, signal: controller.signal,
    });
    view.stop();
    if (outcome.reason !== 'verified') {
      throw new MailsetupError('VERIFICATION_FAILED', `demo: ${DOMAIN} did not verify (${outcome.last[0]?.status ?? 'no result'})`, { hint: 'This is a bug in mailsetup: the demo is also its self-test. Please report it with --verbose output.' });
    }
    out.line('');
    for (const l of wrapLine(`✔ ${DOMAIN} verified: every record served by the authoritative server, and the provider agrees — in ${fmt(Date.now() - started)}.`, out.columns)) out.result(l);
    out.line(`Next, for real: mailsetup add mail.<your-domain> --provider ses|sendgrid|mailgun|resend  (DKIM tokens here were issued under ${SANDBOX_DKIM_ZONE}).`);
    return EXIT.OK;
  } finally {
    host.stop();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
