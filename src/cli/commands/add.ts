import { organisationalDomain } from '../../model/domain-name.js';
import { showDomain } from '../../render/idn.js';
import { addDocument, addTarget, type AddNote, type AddResult } from '../../core/add.js';
import { renderRecordsTable } from '../../render/records.js';
import { detectHost } from '../../dns-hosts/detect.js';
import { discoverAuthoritative } from '../../dns/authoritative.js';
import { EXIT } from '../../errors.js';
import { PROVIDER_NAMES } from '../../render/validate.js';
import { createContext, type Context, type GlobalOptions } from '../context.js';
import type { Lookup } from '../../dns/types.js';
import { escapeText as e } from '../../render/escape.js';

function noteText(n: AddNote, domain: string): string {
  switch (n.kind) {
    case 'apex': return `warning: ${n.domain} is an apex domain. It works, but a sending subdomain such as ${n.suggestion} keeps this mail's reputation apart from your people's mail.`;
    // Names and policies here were read from DNS, the identity id from the provider: escaped.
    case 'dmarc-covered': {
      const policy = `${e(n.tag ?? 'p')}=${e(n.policy ?? '?')}`;
      return n.proposed
        ? `DMARC: ${e(n.by)} covers this subdomain (${policy}); the _dmarc record below makes it stricter (p=${n.asked}).`
        : `DMARC: ${e(n.by)} covers this subdomain (${policy}); no _dmarc record is proposed, since p=${n.asked} would not make it stricter. For a stricter one: mailsetup add ${domain} --dmarc reject.`;
    }
    case 'dmarc-exists': {
      const what = n.count > 1 ? `${n.count} DMARC records (receivers ignore them all; merge them into one)` : `a DMARC record (p=${e(n.policy ?? '?')})`;
      const tighten = n.policy && n.count === 1 && ['none', 'quarantine', 'reject'].indexOf(n.asked) > ['none', 'quarantine', 'reject'].indexOf(n.policy)
        ? ` To move to p=${n.asked}, edit that record.` : '';
      return `DMARC: ${e(n.at)} already holds ${what}; no DMARC record is proposed there — a second one would make receivers ignore both.${tighten}`;
    }
    case 'dmarc-kept': return `DMARC: the p=${e(n.policy)} policy mailsetup published at ${e(n.at)} is stricter than p=${n.asked}, and is kept.`;
    case 'dmarc-unchecked': return n.kept
      ? 'DMARC: DNS did not answer, so the policy in force could not be looked up; the stored DMARC recommendation was left as it was. Run add again when DNS answers to change it.'
      : 'DMARC: DNS did not answer, so the policy in force could not be looked up; no DMARC record is proposed (a blind one could duplicate or weaken a policy). Run add again when DNS answers.';
    case 'dmarc-updated': return `DMARC: the recommendation changed from "${e(n.from)}" to "${e(n.to)}"; mailsetup autoconfig ${domain} publishes it (or update it at your DNS host).`;
    case 'adopted': return `The provider already had this domain: adopted the existing identity (${e(n.providerId)}) instead of creating a new one.`;
  }
}

/** Where the zone's DNS is hosted, to tailor the next step. Best effort: DNS trouble means "generic". */
async function detectDnsHost(domain: string, lookup: Lookup): Promise<ReturnType<typeof detectHost>> {
  try {
    const set = await discoverAuthoritative(domain, lookup);
    return detectHost(set.nameservers.map((n) => n.host));
  } catch {
    return null;
  }
}

async function printHuman(ctx: Context, r: AddResult, providerLabel: string): Promise<void> {
  const out = ctx.out;
  if (r.sender) {
    out.result(`Registered the sender ${e(r.sender.email)} with ${providerLabel}: ${e(r.sender.status)}.`);
    out.line('Next: open the verification email the provider sent to that address and follow its link.');
    return;
  }
  out.result(`${r.adopted ? 'Adopted' : 'Registered'} ${showDomain(r.domain)} with ${providerLabel}${r.entry.region ? ` (${e(r.entry.region)})` : ''}: ${e(r.entry.status)}.`);
  for (const n of r.notes) (n.kind === 'apex' ? out.warn : out.line)(noteText(n, r.domain));
  const host = await detectDnsHost(r.domain, ctx.dns.lookupVia(ctx.resolvers, true));
  const zone = organisationalDomain(r.domain);
  out.line('');
  out.line(`Publish these ${r.entry.records.length} records:`);
  for (const l of await renderRecordsTable(r.entry.records, zone, host?.recordsFor ?? 'generic', out.colorLevel, out.columns)) out.line(l);
  out.line('');
  if (host?.writer) {
    out.line(`Your DNS is hosted at ${host.name}, which mailsetup can write to.`);
    out.line(`Next: mailsetup autoconfig ${r.domain}   (shows the plan, asks, writes, then verifies)`);
  } else {
    out.line(host ? `Your DNS is hosted at ${host.name}; publish the records in its UI.` : 'Could not tell where your DNS is hosted; publish the records at your DNS host.');
    out.line(`Next: mailsetup records ${r.domain}${host ? ` --for ${host.recordsFor}` : ''} (or --format zone for a zone file), then mailsetup watch ${r.domain}.`);
  }
}

export async function addCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const { result, firstWrite } = await addTarget(ctx, args[0] ?? '', {
    provider: options.provider as string | undefined, region: options.region as string | undefined,
    dmarc: options.dmarc as string | undefined, dmarcRua: options.dmarcRua as string | undefined,
    dkim: options.dkim as string | undefined, dkimKeySize: options.dkimKeySize as string | undefined,
    mailFrom: options.mailFrom as string | undefined, inbound: !!options.inbound,
  });
  const store = ctx.store();
  if (ctx.out.json) ctx.out.document(addDocument(result));
  else await printHuman(ctx, result, PROVIDER_NAMES[result.entry.provider] ?? result.entry.provider);
  // Where the state went, always; and plainly the first time, when it is the per-user fallback
  // rather than a mailsetup.json next to the infrastructure code (DESIGN.md "init").
  if (firstWrite && store.source === 'xdg') {
    ctx.out.note(`Created ${store.path}: no mailsetup.json was found in this directory or up to the repository root, so the state is kept in your user config.`);
    ctx.out.note('To keep it next to your infrastructure code (and commit it), run "mailsetup init" there and add the domain again.');
  } else {
    ctx.out.note(`${firstWrite ? 'Created' : 'Saved in'} ${store.path}.`);
  }
  return EXIT.OK;
}
