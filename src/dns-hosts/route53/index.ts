/**
 * Amazon Route 53 as a DnsHostWriter (registrars.md §2). Writes are RRset-wide, so apply re-reads
 * the RRsets at every name it touches, checks each name still holds what the plan saw (all types;
 * any difference refuses the whole apply as HOST_CONFLICT, since the batch is all or nothing),
 * merges the changes in (sibling values kept), and sends them as one ChangeBatch. The batch carries
 * its own precondition: an existing RRset is DELETEd with exactly the values and TTL read, then
 * CREATEd anew; a new one is CREATEd, which fails if it appeared — so an edit between our read and
 * the batch makes Route 53 refuse the batch. (A record of another type appearing at the name then
 * is not caught by Route 53, except a CNAME clash.) The report follows: a refused batch applied
 * none of its changes. After the batch, GetChange is polled until INSYNC, within a bound.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { realSleep } from '../../remote/retry.js';
import type { ApplyReport, DnsHostWriter, HostCapabilities, HostFactory } from '../types.js';
import { zoneCandidates } from '../zone-candidates.js';
import { emptyReport } from '../apply.js';
import { byName, hostConflict, nameOf, pinDiff } from '../pin.js';
import { createRoute53Api } from './api.js';
import type { Route53Api } from './api.js';
import type { R53RRset, RRsetWrite } from './convert.js';
import { fromWireName, fromWireValue, mergeChanges, rrsetToRecords, toBatches } from './convert.js';

const capabilities: HostCapabilities = {
  proxy: false,
  rrsetWrites: true, // a write replaces the whole name+type: the writer merges sibling values itself
  minTtl: 0,
  atomicBatch: true, // one ChangeBatch per apply
};

/** Propagation to every Route 53 server usually takes under a minute; we wait at most this. */
const INSYNC_BUDGET_MS = 120_000;

/**
 * Route 53's words when the batch met a zone other than the one read: a DELETE/CREATE precondition
 * failed (the set changed meanwhile), or a CNAME we create now has company (a record appeared).
 */
const PRECONDITION = /but it (?:was not found|already exists)|values provided do not match|conflicts with other records/i;

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
      // 1 s, 2 s, 4 s, 8 s, then every 10 s: a small change is often INSYNC within seconds.
      const delay = Math.min(10_000, 1000 * 2 ** n);
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
      if (changes.length === 0) return emptyReport();
      let current: R53RRset[];
      try {
        current = (await Promise.all([...new Set(changes.map(nameOf))].map((n) => api.rrsetsAt(zone.id, n)))).flat();
      } catch (e) {
        return { ...emptyReport(), failed: { change: changes[0]!, error: e as Error }, skipped: changes.slice(1) };
      }
      // Pins: every name as the plan saw it. One batch is all or nothing, so one stale name stops all.
      const conflicts: ApplyReport['conflicts'] = [];
      for (const [name, at] of byName(changes)) {
        const diff = pinDiff(at[0]!.seen, current.filter((rs) => rs.name === name).flatMap(rrsetToRecords));
        if (diff) { const error = hostConflict(name, diff); for (const change of at) conflicts.push({ change, error }); }
      }
      if (conflicts.length > 0) return { ...emptyReport(), conflicts, skipped: changes.filter((c) => !conflicts.some((x) => x.change === c)) };
      const merge = mergeChanges(current, changes);
      const done = new Set<number>(merge.unchanged);
      // All or nothing: a change that cannot be merged stops the whole apply before anything is sent.
      let failure: { index: number; error: Error } | null = merge.stopped;
      if (failure) done.clear();
      for (const batch of failure ? [] : toBatches(merge.writes)) {
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
          const index = culprit(batch, error);
          failure = {
            index,
            error: error instanceof MailsetupError && error.code === 'DOMAIN_INVALID' && PRECONDITION.test(error.message)
              ? hostConflict(nameOf(changes[index]!), null, `Route 53 refused the batch: ${error.message.replace(/^Route 53 refused [^:]*: /, '')}`)
              : error,
          };
          break;
        }
      }
      const report = emptyReport();
      const refusedName = failure?.error instanceof MailsetupError && failure.error.code === 'HOST_CONFLICT' ? nameOf(changes[failure.index]!) : null;
      for (const [i, change] of changes.entries()) {
        if (done.has(i)) report.applied.push(change);
        else if (refusedName !== null && nameOf(change) === refusedName) report.conflicts.push({ change, error: failure!.error as MailsetupError });
        else if (failure && i === failure.index) report.failed = { change, error: failure.error };
        else report.skipped.push(change);
      }
      return report;
    },
  };
  return writer;
};
