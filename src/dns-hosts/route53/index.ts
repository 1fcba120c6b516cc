/**
 * Amazon Route 53 as a DnsHostWriter (registrars.md §2). Writes are RRset-wide, so apply reads the
 * RRsets at every name it touches, merges the changes in (sibling values kept), and sends them as
 * one ChangeBatch — Route 53 applies a batch atomically, all or nothing. The report follows from
 * that: a failed batch applied none of its changes; `failed` names the change Route 53 blamed (or
 * the batch's first) and every other change of the batch is `skipped`. After the batch, GetChange
 * is polled until INSYNC, within a bound.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { realSleep } from '../../providers/retry.js';
import type { ApplyReport, DnsHostWriter, HostCapabilities, HostChange, HostFactory } from '../types.js';
import { zoneCandidates } from '../zone-candidates.js';
import { createRoute53Api } from './api.js';
import type { Route53Api } from './api.js';
import type { R53RRset, RRsetWrite } from './convert.js';
import { fromWireName, fromWireValue, mergeChanges, rrsetToRecords, toBatches } from './convert.js';

const capabilities: HostCapabilities = {
  proxy: false,
  rrsetWrites: true, // UPSERT replaces the whole name+type: the writer merges sibling values itself
  minTtl: 0,
};

/** Propagation to every Route 53 server usually takes under a minute; we wait at most this. */
const INSYNC_BUDGET_MS = 120_000;

const nameOf = (c: HostChange) => normaliseName(c.kind === 'create' ? c.record.name : c.to.name);

/** The change Route 53's message points at (`[name='x.', type='TXT']`, `DNS name x.`), else the batch's first. */
function culprit(batch: RRsetWrite[], error: Error): number {
  const text = error.message;
  const named = text.match(/name='([^']+)',\s*type='([A-Z]+)'/) ?? text.match(/DNS name (\S+?)\.?\s/);
  if (named) {
    const name = fromWireName(named[1]!);
    const hit = batch.find((w) => w.name === name && (!named[2] || w.type === named[2]));
    if (hit) return Math.min(...hit.changes);
  }
  return Math.min(...batch.flatMap((w) => w.changes));
}

/** Does the zone already hold exactly what the batch meant to write (an earlier attempt landed)? */
async function alreadyHolds(api: Route53Api, zoneId: string, batch: RRsetWrite[]): Promise<boolean> {
  const canon = (type: string, values: string[]) => values.map((v) => JSON.stringify(fromWireValue(type, v))).sort().join('\n');
  try {
    for (const w of batch) {
      const now = (await api.rrsetsAt(zoneId, w.name)).find((rs) => rs.type === w.type);
      if (!now || canon(w.type, now.values) !== canon(w.type, w.values)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

export const createRoute53Writer: HostFactory = async (ctx) => {
  const api = await createRoute53Api(ctx);
  const sleep = ctx.sleep ?? realSleep;

  async function waitInsync(id: string, status: string): Promise<void> {
    if (status === 'INSYNC' || !id) return;
    let waited = 0;
    for (let n = 0; waited < INSYNC_BUDGET_MS; n++) {
      const delay = Math.min(10_000, 2000 * 2 ** n);
      await sleep(delay);
      waited += delay;
      try {
        if ((await api.changeStatus(id)) === 'INSYNC') return;
      } catch (e) {
        // The batch is committed either way; only the wait is cut short.
        ctx.debug?.(`Route 53 change ${id} applied; could not follow it to INSYNC: ${(e as Error).message}`);
        return;
      }
    }
    ctx.debug?.(`Route 53 change ${id} applied but not INSYNC after ${INSYNC_BUDGET_MS / 1000} s; the servers will catch up`);
  }

  const writer: DnsHostWriter = {
    id: 'route53',
    capabilities,
    async findZone(name) {
      const candidates = zoneCandidates(name, { underscoreZones: true });
      const found = await Promise.all(candidates.map((c) => api.zonesNamed(c)));
      for (const [i, zones] of found.entries()) {
        const pub = zones.filter((z) => !z.private);
        if (zones.length > 0 && pub.length === 0) ctx.debug?.(`Route 53: ${candidates[i]} exists only as a private hosted zone; skipped`);
        if (pub.length > 1) {
          throw new MailsetupError('USAGE', `Route 53 has ${pub.length} public hosted zones named ${candidates[i]} (${pub.map((z) => z.id).join(', ')})`, {
            hint: 'Only one of them is delegated to. Delete the unused zone, then run the command again.',
          });
        }
        if (pub.length === 1) return { name: candidates[i]!, id: pub[0]!.id };
      }
      throw new MailsetupError('DOMAIN_NOT_FOUND', `No public Route 53 hosted zone in this account holds ${normaliseName(name)}`, {
        hint: 'Create the hosted zone, or use credentials for the account that has it.',
      });
    },
    async listRecords(zone, names) {
      const wanted = [...new Set(names.map(normaliseName))];
      const sets = await Promise.all(wanted.map((n) => api.rrsetsAt(zone.id, n)));
      return sets.flat().flatMap(rrsetToRecords);
    },
    async apply(zone, changes) {
      if (changes.length === 0) return { applied: [], failed: null, skipped: [] };
      let current: R53RRset[];
      try {
        current = (await Promise.all([...new Set(changes.map(nameOf))].map((n) => api.rrsetsAt(zone.id, n)))).flat();
      } catch (e) {
        return { applied: [], failed: { change: changes[0]!, error: e as Error }, skipped: changes.slice(1) };
      }
      const merge = mergeChanges(current, changes);
      const done = new Set<number>(merge.unchanged);
      let failure: { index: number; error: Error } | null = null;
      for (const batch of toBatches(merge.writes)) {
        try {
          const info = await api.change(zone.id, batch);
          for (const w of batch) for (const i of w.changes) done.add(i);
          await waitInsync(info.id, info.status);
        } catch (e) {
          const error = e instanceof Error ? e : new Error(String(e));
          if (error instanceof MailsetupError && error.code === 'DOMAIN_INVALID' && await alreadyHolds(api, zone.id, batch)) {
            for (const w of batch) for (const i of w.changes) done.add(i);
            continue;
          }
          failure = { index: culprit(batch, error), error };
          break;
        }
      }
      failure ??= merge.stopped;
      const report: ApplyReport = { applied: [], failed: null, skipped: [] };
      for (const [i, change] of changes.entries()) {
        if (done.has(i)) report.applied.push(change);
        else if (failure && i === failure.index) report.failed = { change, error: failure.error };
        else report.skipped.push(change);
      }
      return report;
    },
  };
  return writer;
};
