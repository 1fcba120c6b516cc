/**
 * Cloudflare as a DnsHostWriter (registrars.md §1). Records have ids, so a write touches exactly
 * one record: a create is one POST (never an upsert: Cloudflare keeps several TXT at one name), an
 * update re-reads the record it replaces and PATCHes it only if it still holds what the plan saw.
 * Pins: before each write the name is re-read (all types) and compared with the plan (apply.ts).
 * The API has no conditional write (no If-Match), so the window between that read and the write is
 * the best it allows; an update addresses the record by its id, never by name and value. Cloudflare
 * itself refuses a CNAME beside other data (81053/81054). Mail records are DNS-only.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { applySequentially } from '../apply.js';
import { RERUN_HINT } from '../pin.js';
import type { DnsHostWriter, HostCapabilities, HostChange, HostFactory, HostRecord, HostZone } from '../types.js';
import { createCloudflareApi } from './api.js';
import type { CloudflareApi } from './api.js';
import { zoneCandidates } from '../zone-candidates.js';
import { describe, fromCloudflare, sameRecord, toCloudflareBody } from './convert.js';

const capabilities: HostCapabilities = {
  proxy: true, // a proxied CNAME answers with Cloudflare's A/AAAA and hides the target: DKIM breaks
  rrsetWrites: false, // one record per id; siblings at a name are separate records
  minTtl: 60, // or 1 = automatic
  atomicBatch: false, // one request per record
};

function conflict(from: HostRecord, why: string): MailsetupError {
  return new MailsetupError('HOST_CONFLICT', `${describe(from)} changed at Cloudflare since the plan was made (${why}); nothing was written at ${normaliseName(from.name)}`, {
    hint: RERUN_HINT,
  });
}

async function applyOne(api: CloudflareApi, zone: HostZone, change: HostChange): Promise<void> {
  if (change.kind === 'create') {
    await api.create(zone.id, toCloudflareBody(change.record));
    return;
  }
  const { from, to } = change;
  if (from.type.toUpperCase() !== to.type.toUpperCase() || normaliseName(from.name) !== normaliseName(to.name)) {
    throw new MailsetupError('INTERNAL', `An update must keep name and type (${describe(from)} → ${describe(to)})`);
  }
  // Read before write: the record must still be the one the plan was made against.
  let id = from.hostId;
  if (id) {
    const now = fromCloudflare(await api.getRecord(zone.id, id));
    if (!sameRecord(now, from)) throw conflict(from, 'it now holds another value');
  } else {
    const now = (await api.recordsAt(zone.id, normaliseName(from.name))).map(fromCloudflare).find((r) => sameRecord(r, from));
    if (!now) throw conflict(from, 'the value to replace is gone');
    id = now.hostId!;
  }
  await api.edit(zone.id, id, toCloudflareBody(to));
}

export const createCloudflareWriter: HostFactory = async (ctx) => {
  const api = await createCloudflareApi(ctx);
  const writer: DnsHostWriter = {
    id: 'cloudflare',
    capabilities,
    async findZone(name) {
      const candidates = zoneCandidates(name, { underscoreZones: false });
      // Every candidate at once: one round trip instead of one per label.
      const found = await Promise.all(candidates.map((c) => api.zonesNamed(c)));
      for (const [i, zones] of found.entries()) {
        if (zones.length === 0) continue;
        const zone = zones.find((z) => z.status === 'active') ?? zones[0]!;
        if (zone.status && zone.status !== 'active') {
          ctx.debug?.(`Cloudflare zone ${zone.name} is ${zone.status}: it is not served until its nameservers are delegated`);
        }
        return { name: candidates[i]!, id: zone.id };
      }
      throw new MailsetupError('DOMAIN_NOT_FOUND', `No Cloudflare zone visible to this token holds ${normaliseName(name)}`, {
        hint: 'Add the zone to Cloudflare, or give CLOUDFLARE_API_TOKEN Zone: Read on it (tokens see only the zones they are scoped to).',
      });
    },
    async listRecords(zone, names) {
      const wanted = [...new Set(names.map(normaliseName))];
      const lists = await Promise.all(wanted.map((n) => api.recordsAt(zone.id, n)));
      return lists.flat().map(fromCloudflare).filter((r) => wanted.includes(r.name));
    },
    async apply(zone, changes) {
      return applySequentially(changes, {
        read: async (name) => (await api.recordsAt(zone.id, name)).map(fromCloudflare).filter((r) => r.name === name),
        write: (change) => applyOne(api, zone, change),
      });
    },
  };
  return writer;
};
