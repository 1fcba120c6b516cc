import { existsSync } from 'node:fs';
import { parseIdentity, organisationalDomain } from '../../model/domain-name.js';
import { showDomain } from '../../render/idn.js';
import { regionProblem } from '../../providers/regions.js';
import { validateLookup } from '../../core/validate.js';
import { runAdd, type AddNote, type AddResult, type DmarcChoice } from '../../core/add.js';
import { loadProvider, parseProviderId } from '../../providers/index.js';
import { renderRecordsTable } from '../../render/records.js';
import { detectHost } from '../../dns-hosts/detect.js';
import { discoverAuthoritative } from '../../dns/authoritative.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { PROVIDER_NAMES } from '../../render/validate.js';
import { createContext, type Context, type GlobalOptions } from '../context.js';
import type { Lookup } from '../../dns/types.js';
import { escapeText as e } from '../../render/escape.js';

const DMARC_CHOICES: readonly DmarcChoice[] = ['none', 'quarantine', 'reject', 'skip'];

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
  const identity = parseIdentity(args[0] ?? '');
  const providerId = parseProviderId(String(options.provider ?? ''));
  // Not given: a re-run keeps the stored recommendation (core/add.ts), a first run recommends p=none.
  const dmarc = options.dmarc === undefined ? undefined : String(options.dmarc).toLowerCase() as DmarcChoice;
  if (dmarc !== undefined && !DMARC_CHOICES.includes(dmarc)) throw new MailsetupError('USAGE', `--dmarc: "${dmarc}" is not one of ${DMARC_CHOICES.join(', ')}`, { hint: 'Use --dmarc none, quarantine, reject or skip.' });
  const rua = options.dmarcRua as string | undefined;
  if (rua !== undefined && !/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(rua)) {
    throw new MailsetupError('USAGE', `--dmarc-rua: "${rua}" is not a mailto: address`, { hint: 'Use --dmarc-rua mailto:dmarc@example.com.' });
  }
  const dkim = options.dkim as 'easy' | 'byo' | undefined;
  if (dkim !== undefined && dkim !== 'easy' && dkim !== 'byo') throw new MailsetupError('USAGE', `--dkim: "${dkim}" is not easy or byo`, { hint: 'Use --dkim easy (default) or --dkim byo.' });
  const keySize = options.dkimKeySize === undefined ? undefined : Number(options.dkimKeySize);
  if (keySize !== undefined && keySize !== 1024 && keySize !== 2048) throw new MailsetupError('USAGE', `--dkim-key-size: "${String(options.dkimKeySize)}" is not 1024 or 2048`, { hint: 'Use --dkim-key-size 2048 (default) or 1024.' });
  const mailFrom = options.mailFrom as string | undefined;
  if (mailFrom !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(mailFrom)) {
    throw new MailsetupError('USAGE', `--mail-from: "${mailFrom}" is not a single DNS label`, { hint: 'Give a label such as mail or bounce; it becomes <label>.<domain>.' });
  }

  const region = options.region as string | undefined;
  // A region the provider cannot have is bad usage, said now — not a provider error seconds later.
  const badRegion = region === undefined ? null : regionProblem(providerId, region);
  if (badRegion) throw badRegion;
  const ctx = createContext(globals);
  const store = ctx.store();
  const firstWrite = !existsSync(store.path);
  const factory = await loadProvider(providerId);
  const provider = await factory({ env: ctx.env, timeoutMs: ctx.apiTimeoutMs, ...(region ? { region } : {}), debug: (l) => ctx.out.debug(l) });
  const result = await ctx.out.waitFor(`registering ${identity.email ?? identity.domain} with ${providerId} and reading its DNS`, runAdd({
    identity, provider: providerId, ...(dmarc ? { dmarc } : {}),
    ...(rua ? { dmarcRua: rua } : {}),
    register: {
      ...(region ? { region } : {}), ...(mailFrom ? { mailFrom: mailFrom.toLowerCase() } : {}), ...(dkim ? { dkim } : {}),
      ...(keySize ? { dkimKeySize: keySize as 1024 | 2048 } : {}), ...(options.inbound ? { inbound: true } : {}),
    },
  }, { store, provider, lookup: validateLookup(identity.domain, { dns: ctx.dns, resolvers: ctx.resolvers, authoritative: ctx.authoritative }) }));

  if (ctx.out.json) {
    const { provider: p, providerId: id, region: reg, status, records } = result.entry;
    ctx.out.document({ domain: result.domain, provider: p, providerId: id, region: reg, status, adopted: result.adopted, records, notes: result.notes });
  } else {
    await printHuman(ctx, result, PROVIDER_NAMES[providerId] ?? providerId);
  }
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
