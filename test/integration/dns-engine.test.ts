import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { DnsEngine } from '../../src/dns/engine.js';
import { query, parseServer } from '../../src/dns/wire.js';
import type { ZoneData } from '../../src/dns/zone.js';
import { txtValues } from '../../src/dns/types.js';

const servers: EmbeddedDns[] = [];
async function serve(zone: ZoneData): Promise<EmbeddedDns> {
  const s = await startEmbeddedDns(zone);
  servers.push(s);
  return s;
}
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

const opts = { recursion: false, timeoutMs: 400, retries: 1 };

describe('wire client against the embedded server', () => {
  it('returns records with TTLs and the AA bit', async () => {
    const s = await serve({ records: [{ name: 'a.example.test', type: 'TXT', ttl: 123, data: 'hello' }] });
    const a = await query(s.address, 'A.Example.Test.', 'TXT', opts);
    expect(a.outcome).toBe('answer');
    expect(a.aa).toBe(true);
    expect(a.records).toEqual([{ name: 'a.example.test', type: 'TXT', ttl: 123, data: ['hello'] }]);
  });

  it('tells NXDOMAIN from NODATA and carries the negative TTL', async () => {
    const s = await serve({ records: [{ name: 'a.example.test', type: 'A', data: '192.0.2.1' }], negativeTtl: 42 });
    const nx = await query(s.address, 'b.example.test', 'TXT', opts);
    const nodata = await query(s.address, 'a.example.test', 'TXT', opts);
    expect(nx.outcome).toBe('nxdomain');
    expect(nx.negativeTtl).toBe(42);
    expect(nodata.outcome).toBe('nodata');
    expect(nodata.negativeTtl).toBe(42);
  });

  it('reports SERVFAIL and REFUSED as values', async () => {
    const s = await serve({ records: [], faults: [{ name: 'sf.example.test', fault: 'servfail' }, { name: 'rf.example.test', fault: 'refused' }] });
    expect((await query(s.address, 'sf.example.test', 'TXT', opts)).outcome).toBe('servfail');
    expect((await query(s.address, 'rf.example.test', 'TXT', opts)).outcome).toBe('refused');
  });

  it('times out, retries once, and says so', async () => {
    const s = await serve({ records: [], faults: [{ name: 'slow.example.test', fault: 'timeout' }] });
    const t0 = Date.now();
    const a = await query(s.address, 'slow.example.test', 'TXT', { ...opts, timeoutMs: 150 });
    expect(a.outcome).toBe('timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(s.queries.filter((q) => q.name === 'slow.example.test')).toHaveLength(2);
  });

  it('falls back to TCP when the UDP reply is truncated', async () => {
    const long = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(250));
    const s = await serve({ records: [{ name: 'big.example.test', type: 'TXT', data: long }] });
    const a = await query(s.address, 'big.example.test', 'TXT', opts);
    expect(a.outcome).toBe('answer');
    expect(txtValues(a)[0]).toBe(long.join(''));
    expect(s.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('ignores replies with the wrong ID or question and takes the real one', async () => {
    const s = await serve({
      records: [{ name: 'x.example.test', type: 'TXT', data: 'real' }, { name: 'y.example.test', type: 'TXT', data: 'real-y' }],
      wireFaults: [{ name: 'x.example.test', fault: 'wrong-id' }, { name: 'y.example.test', fault: 'wrong-question' }],
    });
    expect(txtValues(await query(s.address, 'x.example.test', 'TXT', opts))).toEqual(['real']);
    expect(txtValues(await query(s.address, 'y.example.test', 'TXT', opts))).toEqual(['real-y']);
  });

  it('follows a CNAME chain and keeps it', async () => {
    const s = await serve({
      records: [
        { name: 's1._domainkey.example.test', type: 'CNAME', data: 's1.dkim.provider.test' },
        { name: 's1.dkim.provider.test', type: 'TXT', data: 'v=DKIM1; p=abc' },
      ],
    });
    const a = await query(s.address, 's1._domainkey.example.test', 'TXT', opts);
    expect(a.cnames.map((c) => c.data)).toEqual(['s1.dkim.provider.test']);
    expect(txtValues(a)).toEqual(['v=DKIM1; p=abc']);
  });

  it('reads a TXT record with zero strings', async () => {
    const s = await serve({ records: [{ name: 'null.example.test', type: 'TXT', data: [] }] });
    const a = await query(s.address, 'null.example.test', 'TXT', opts);
    expect(a.outcome).toBe('answer');
    expect(a.records[0]?.data).toEqual([]);
  });

  it('parses server specs with ports and IPv6 brackets', () => {
    expect(parseServer('127.0.0.1:5300')).toEqual({ host: '127.0.0.1', port: 5300, family: 4 });
    expect(parseServer('[::1]:53')).toEqual({ host: '::1', port: 53, family: 6 });
    expect(parseServer('8.8.8.8')).toEqual({ host: '8.8.8.8', port: 53, family: 4 });
    expect(parseServer('dns.google')).toBeNull();
  });
});

describe('DnsEngine', () => {
  it('asks each (server, name, type) once, even concurrently', async () => {
    const s = await serve({ records: [{ name: 'a.example.test', type: 'TXT', data: 'x' }] });
    const engine = new DnsEngine({ timeoutMs: 400 });
    const lookup = engine.lookupVia([s.address], true);
    await Promise.all([lookup('a.example.test', 'TXT'), lookup('A.EXAMPLE.TEST', 'TXT'), lookup('a.example.test.', 'TXT')]);
    await lookup('a.example.test', 'TXT');
    expect(s.queries).toHaveLength(1);
    expect(engine.sent).toBe(1);
    expect(engine.asked).toBe(4);
  });

  it('fails over to the next server only when the first cannot answer', async () => {
    const bad = await serve({ records: [], faults: [{ name: 'a.example.test', fault: 'servfail' }] });
    const good = await serve({ records: [{ name: 'a.example.test', type: 'TXT', data: 'ok' }] });
    const lookup = new DnsEngine({ timeoutMs: 400 }).lookupVia([bad.address, good.address], true);
    expect(txtValues(await lookup('a.example.test', 'TXT'))).toEqual(['ok']);
    const nx = await lookup('missing.example.test', 'TXT');
    // The first server answers NXDOMAIN for this name: that is an answer, so no failover.
    expect(nx.outcome).toBe('nxdomain');
    expect(good.queries.map((q) => q.name)).toEqual(['a.example.test']);
  });
});
