import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { DnsEngine } from '../../src/dns/engine.js';
import { discoverAuthoritative, findZoneCut } from '../../src/dns/authoritative.js';
import { MailsetupError } from '../../src/errors.js';

const soa = { mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 60 };
let server: EmbeddedDns;

beforeAll(async () => {
  server = await startEmbeddedDns({
    records: [
      { name: 'example.test', type: 'SOA', data: soa },
      { name: 'example.test', type: 'NS', data: 'ns1.example.test' },
      { name: 'example.test', type: 'NS', data: 'ns2.elsewhere.test' },
      { name: 'ns1.example.test', type: 'A', data: '192.0.2.53' },
      { name: 'ns2.elsewhere.test', type: 'A', data: '198.51.100.53' },
      { name: 'ns2.elsewhere.test', type: 'AAAA', data: '2001:db8::53' },
      { name: 'mail.example.test', type: 'TXT', data: 'v=spf1 -all' },
      { name: 'broken.test', type: 'SOA', data: { ...soa, mname: 'ns.broken.test' } },
    ],
    faults: [{ name: 'down.test', type: 'SOA', fault: 'servfail' }],
  });
});
afterAll(async () => { await server.close(); });

describe('authoritative discovery', () => {
  it('finds the zone cut, its NS and their addresses (IPv4 first)', async () => {
    const lookup = new DnsEngine({ timeoutMs: 500 }).lookupVia([server.address], true);
    const set = await discoverAuthoritative('deep.mail.example.test', lookup);
    expect(set.zone).toBe('example.test');
    expect(set.nameservers).toEqual([
      { host: 'ns1.example.test', addresses: ['192.0.2.53'] },
      { host: 'ns2.elsewhere.test', addresses: ['198.51.100.53', '2001:db8::53'] },
    ]);
    expect(set.servers).toEqual(['192.0.2.53', '198.51.100.53', '2001:db8::53']);
  });

  it('says DNS_UNAVAILABLE when the resolver fails, not "no such domain"', async () => {
    const lookup = new DnsEngine({ timeoutMs: 500 }).lookupVia([server.address], true);
    await expect(findZoneCut('www.down.test', lookup)).rejects.toMatchObject({ code: 'DNS_UNAVAILABLE', exitCode: 69 });
  });

  it('says DNS_UNAVAILABLE when the zone has no NS', async () => {
    const lookup = new DnsEngine({ timeoutMs: 500 }).lookupVia([server.address], true);
    const err = await discoverAuthoritative('x.broken.test', lookup).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailsetupError);
    expect((err as MailsetupError).code).toBe('DNS_UNAVAILABLE');
  });
});
