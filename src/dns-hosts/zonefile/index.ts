/**
 * The zone-file DNS host: records kept in memory and served by the embedded DNS server, with an
 * optional propagation delay per write so the demo shows records appearing over a few seconds. Each
 * visible change bumps the SOA serial, as a real primary does. An apply is one step in memory, so it
 * is atomic: every pinned name is checked first, and one stale name means nothing is written.
 */
import type { ApplyReport, DnsHostWriter, HostChange, HostRecord, HostZone } from '../types.js';
import type { ZoneData, ZoneRecord } from '../../dns/zone.js';
import { sameRecord } from '../plan.js';
import { emptyReport } from '../apply.js';
import { byName, hostConflict, pinDiff } from '../pin.js';
import { normaliseName } from '../../model/record.js';

export interface ZonefileHost {
  writer: DnsHostWriter;
  /** The zone data to serve (call after each change; `onChange` does it for you). */
  zoneData(): ZoneData;
  /** Records waiting to become visible. */
  pending(): number;
  /** What someone else writes to the zone (tests), visible at once. */
  seed(record: HostRecord): void;
  /** The records the zone holds now (SOA/NS aside). */
  records(): HostRecord[];
  stop(): void;
}

export function createZonefileHost(opts: {
  zone: string;
  initial?: HostRecord[];
  extra?: ZoneRecord[];
  delayMs?: (index: number) => number;
  onChange: (zone: ZoneData) => void;
}): ZonefileHost {
  let serial = 1;
  let records: HostRecord[] = [...(opts.initial ?? [])];
  const staged: Array<{ at: number; apply: () => void }> = [];
  const zoneData = (): ZoneData => ({
    records: [
      { name: opts.zone, type: 'SOA', data: { mname: `ns1.${opts.zone}`, rname: `hostmaster.${opts.zone}`, serial, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } },
      { name: opts.zone, type: 'NS', data: `ns1.${opts.zone}` },
      { name: `ns1.${opts.zone}`, type: 'A', data: '127.0.0.1' },
      ...(opts.extra ?? []),
      ...records.map((r): ZoneRecord => ({
        name: r.name, type: r.type as ZoneRecord['type'], ttl: r.ttl ?? 300,
        data: r.type === 'MX' ? { preference: r.priority ?? 10, exchange: r.value } : r.value,
      })),
    ],
    negativeTtl: 5,
  });
  const timer = setInterval(() => {
    const now = Date.now();
    let changed = false;
    for (let i = staged.length - 1; i >= 0; i--) {
      if (staged[i]!.at <= now) { staged[i]!.apply(); staged.splice(i, 1); changed = true; }
    }
    if (changed) { serial++; opts.onChange(zoneData()); }
  }, 100);
  timer.unref();

  const writer: DnsHostWriter = {
    id: 'zonefile',
    capabilities: { proxy: false, rrsetWrites: false, minTtl: 1, atomicBatch: true },
    async findZone(): Promise<HostZone> { return { name: opts.zone, id: opts.zone }; },
    async listRecords(_zone, names) {
      const wanted = new Set(names.map(normaliseName));
      return records.filter((r) => wanted.has(normaliseName(r.name))).map((r) => ({ ...r }));
    },
    async apply(_zone, changes: HostChange[]): Promise<ApplyReport> {
      const conflicts: ApplyReport['conflicts'] = [];
      for (const [name, at] of byName(changes)) {
        const diff = pinDiff(at[0]!.seen, records.filter((r) => normaliseName(r.name) === name));
        if (diff) { const error = hostConflict(name, diff); for (const change of at) conflicts.push({ change, error }); }
      }
      if (conflicts.length > 0) return { ...emptyReport(), conflicts, skipped: changes.filter((c) => !conflicts.some((x) => x.change === c)) };
      changes.forEach((c, i) => {
        const apply = () => {
          if (c.kind === 'update') records = records.filter((r) => !sameRecord(r, c.from));
          records.push(c.kind === 'create' ? c.record : c.to);
        };
        const delay = opts.delayMs?.(i) ?? 0;
        if (delay <= 0) apply(); else staged.push({ at: Date.now() + delay, apply });
      });
      if (!opts.delayMs) { serial++; opts.onChange(zoneData()); }
      return { ...emptyReport(), applied: changes };
    },
  };
  return {
    writer, zoneData, pending: () => staged.length, stop: () => clearInterval(timer),
    seed(record) { records.push({ ...record }); serial++; opts.onChange(zoneData()); },
    records: () => records.map((r) => ({ ...r })),
  };
}
