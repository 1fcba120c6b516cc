/**
 * DNSSEC in the strict codec: DS, DNSKEY and RRSIG decode exactly (written by dns-packet, an
 * independent encoder, then cut short), the AD and CD header bits are read, and queries carry DO
 * and CD only when asked. The engine keeps questions with different bits apart.
 */
import { describe, expect, it } from 'vitest';
import * as packet from 'dns-packet';
import { decodeMessage, encodeQuery, MalformedMessage } from '../../src/dns/message.js';
import { DnsEngine } from '../../src/dns/engine.js';
import { startEmbeddedDns } from '../../src/dns/embedded-server.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
function reply(answers: packet.Answer[], flags = 0): Buffer {
  return packet.encode({ type: 'response', id: 7, flags, questions: [{ type: 'DNSKEY', class: 'IN', name: 'sec.test' }], answers });
}
const dnskey: packet.Answer = { type: 'DNSKEY', name: 'sec.test', ttl: 300, class: 'IN', data: { flags: 257, algorithm: 13, key } } as never;
const ds: packet.Answer = { type: 'DS', name: 'sec.test', ttl: 300, class: 'IN', data: { keyTag: 4242, algorithm: 13, digestType: 2, digest: key } } as never;
const rrsig: packet.Answer = { type: 'RRSIG', name: 'sec.test', ttl: 300, class: 'IN', data: {
  typeCovered: 'DNSKEY', algorithm: 13, labels: 2, originalTTL: 300, expiration: 2000000000, inception: 1700000000, keyTag: 4242, signersName: 'sec.test', signature: key,
} } as never;

describe('DNSSEC records in the strict decoder', () => {
  it('reads DNSKEY, DS and RRSIG as dns-packet wrote them', () => {
    const m = decodeMessage(reply([dnskey, ds, rrsig]));
    expect(m.answers[0]).toEqual({ name: 'sec.test', type: 'DNSKEY', ttl: 300, data: { flags: 257, protocol: 3, algorithm: 13, publicKey: key.toString('base64') } });
    expect(m.answers[1]).toEqual({ name: 'sec.test', type: 'DS', ttl: 300, data: { keyTag: 4242, algorithm: 13, digestType: 2, digest: key.toString('hex') } });
    expect(m.answers[2]).toMatchObject({ type: 'RRSIG', data: { typeCovered: 48, keyTag: 4242, signerName: 'sec.test', expiration: 2000000000, signature: key.toString('base64') } });
  });

  it.each([['DNSKEY', dnskey], ['DS', ds], ['RRSIG', rrsig]] as Array<[string, packet.Answer]>)('a %s cut short does not decode', (_, rr) => {
    const buf = reply([rr]);
    // RDLENGTH shrunk to the fixed part only (no key, digest, signer or signature), the message cut there.
    const fixed = rr.type === 'RRSIG' ? 18 : 4;
    const cut = Buffer.from(buf);
    const start = cut.length - (rr.type === 'RRSIG' ? 18 + 10 + key.length : 4 + key.length);
    cut.writeUInt16BE(fixed, start - 2);
    expect(() => decodeMessage(cut.subarray(0, start + fixed))).toThrow(MalformedMessage);
  });

  it('reads the AD and CD bits', () => {
    const m = decodeMessage(reply([], 1 << 5 | 1 << 4));
    expect(m.ad).toBe(true);
    expect(m.cd).toBe(true);
    expect(decodeMessage(reply([])).ad).toBe(false);
  });
});

describe('DO and CD in queries', () => {
  it('sets DO in the OPT record and CD in the header only when asked', () => {
    const plain = packet.decode(encodeQuery(1, 'sec.test', 'DNSKEY', true));
    expect(plain.flags! & packet.CHECKING_DISABLED).toBe(0);
    expect((plain.additionals![0] as unknown as { flags: number }).flags & packet.DNSSEC_OK).toBe(0);
    const both = packet.decode(encodeQuery(1, 'sec.test', 'DNSKEY', true, { dnssecOk: true, checkingDisabled: true }));
    expect(both.flags! & packet.CHECKING_DISABLED).toBe(packet.CHECKING_DISABLED);
    expect((both.additionals![0] as unknown as { flags: number }).flags & packet.DNSSEC_OK).toBe(packet.DNSSEC_OK);
    expect(both.questions![0]).toMatchObject({ name: 'sec.test', type: 'DNSKEY' });
  });

  it('the engine asks a question once per set of bits, and once only for each', async () => {
    const dns = await startEmbeddedDns({ records: [{ name: 'sec.test', type: 'TXT', data: 'x' }] });
    try {
      const engine = new DnsEngine({ timeoutMs: 1000 });
      await Promise.all([
        engine.ask(dns.address, 'sec.test', 'TXT', true), engine.ask(dns.address, 'sec.test', 'TXT', true),
        engine.ask(dns.address, 'sec.test', 'TXT', true, { dnssecOk: true }), engine.ask(dns.address, 'sec.test', 'TXT', true, { dnssecOk: true }),
        engine.ask(dns.address, 'sec.test', 'TXT', true, { dnssecOk: true, checkingDisabled: true }),
      ]);
      expect(engine.sent).toBe(3);
      expect(dns.queries.filter((q) => q.name === 'sec.test')).toHaveLength(3);
    } finally { await dns.close(); }
  });
});
