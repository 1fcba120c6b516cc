/**
 * The strict DNS message decoder (src/dns/message.ts): a reply decodes exactly or not at all, and
 * names keep their label boundaries. Replies are built with dns-packet (an independent encoder),
 * then damaged byte by byte.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as packet from 'dns-packet';
import { canonicalName, decodeMessage, encodeQuery, escapedCanonicalName, escapedNameLabels, MalformedMessage, nameLabels } from '../../src/dns/message.js';

function reply(answers: packet.Answer[], extra: Partial<packet.Packet> = {}): Buffer {
  return packet.encode({
    type: 'response', id: 4242, flags: packet.AUTHORITATIVE_ANSWER,
    questions: [{ type: 'TXT', class: 'IN', name: 'mail.acme.test' }], answers, ...extra,
  });
}

const txtAnswer = (data: string[]): packet.Answer => ({ type: 'TXT', name: 'mail.acme.test', ttl: 300, class: 'IN', data: data.map((s) => Buffer.from(s)) });

describe('decodeMessage', () => {
  it('reads what dns-packet wrote: TXT strings, MX, SOA in authority, the AA bit', () => {
    const buf = reply(
      [txtAnswer(['v=spf1 ', 'include:amazonses.com ~all']), { type: 'MX', name: 'mail.acme.test', ttl: 60, class: 'IN', data: { preference: 10, exchange: 'mx.acme.test' } }],
      { authorities: [{ type: 'SOA', name: 'acme.test', ttl: 60, class: 'IN', data: { mname: 'ns.acme.test', rname: 'h.acme.test', serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 30 } }] },
    );
    const m = decodeMessage(buf);
    expect(m.id).toBe(4242);
    expect(m.aa).toBe(true);
    expect(m.question).toEqual({ name: 'mail.acme.test', type: 16, class: 1 });
    expect(m.answers[0]).toEqual({ name: 'mail.acme.test', type: 'TXT', ttl: 300, data: ['v=spf1 ', 'include:amazonses.com ~all'] });
    expect(m.answers[1]).toEqual({ name: 'mail.acme.test', type: 'MX', ttl: 60, data: { preference: 10, exchange: 'mx.acme.test' } });
    expect(m.authorities[0]).toMatchObject({ type: 'SOA', data: { serial: 7, minimum: 30 } });
  });

  it('a TXT record with zero character-strings is legal', () => {
    const buf = Buffer.from(reply([txtAnswer(['x'])]));
    // Rewrite the one string into RDLENGTH 0: drop the 2 RDATA bytes and patch RDLENGTH.
    const cut = Buffer.concat([buf.subarray(0, buf.length - 2)]);
    cut.writeUInt16BE(0, cut.length - 2);
    expect(decodeMessage(cut).answers[0]).toMatchObject({ type: 'TXT', data: [] });
  });

  it('any reply cut short by 1..n bytes is refused, never read as a shorter record', () => {
    const buf = reply([txtAnswer(['v=DKIM1; k=rsa; p=' + 'A'.repeat(300).slice(0, 200), 'B'.repeat(100)])]);
    fc.assert(fc.property(fc.integer({ min: 1, max: buf.length - 1 }), (n) => {
      expect(() => decodeMessage(buf.subarray(0, buf.length - n))).toThrow(MalformedMessage);
    }));
  });

  it('bytes left over after the counted records are refused', () => {
    const buf = reply([txtAnswer(['v=spf1 -all'])]);
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (junk) => {
      expect(() => decodeMessage(Buffer.concat([buf, Buffer.from(junk)]))).toThrow(MalformedMessage);
    }));
  });

  it('a TXT string that runs past RDLENGTH is refused', () => {
    const buf = Buffer.from(reply([txtAnswer(['abc'])]));
    buf[buf.length - 4] = 9; // the string's length byte claims more than RDLENGTH holds
    expect(() => decodeMessage(buf)).toThrow(/RDLENGTH/);
  });

  it('a compression pointer that points forward (or at itself) is refused', () => {
    const buf = Buffer.from(reply([txtAnswer(['abc'])]));
    const owner = 12 + 16 + 4; // after header, question name (16 bytes) and type/class
    expect(buf.subarray(owner, owner + 5).toString('latin1')).toBe('\x04mail');
    buf.writeUInt16BE(0xc000 | owner, owner); // a pointer to itself: a loop
    expect(() => decodeMessage(buf)).toThrow(/backwards/);
  });

  it('with TC set only the header and question are read (the client asks again over TCP)', () => {
    const buf = packet.encode({ type: 'response', id: 1, flags: packet.TRUNCATED_RESPONSE, questions: [{ type: 'TXT', class: 'IN', name: 'a.test' }], answers: [txtAnswer(['x'])] });
    const m = decodeMessage(buf.subarray(0, buf.length - 3));
    expect(m.tc).toBe(true);
    expect(m.answers).toEqual([]);
  });
});

describe('names, label by label', () => {
  it('a dot inside a label is escaped, so one label "a.b" never equals the labels "a" and "b"', () => {
    const q = Buffer.from(packet.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'TXT', class: 'IN', name: 'axb.test' }] }));
    q[12 + 2] = 0x2e; // the 'x' becomes a '.' inside the first label
    const m = decodeMessage(q);
    expect(m.question!.name).toBe('a\\.b.test');
    expect(m.question!.name).not.toBe(canonicalName('a.b.test'));
  });

  it('control and non-ASCII bytes in a label come out as \\DDD, upper case folded', () => {
    const q = Buffer.from(packet.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'TXT', class: 'IN', name: 'AxB.test' }] }));
    q[12 + 2] = 0x1b;
    expect(decodeMessage(q).question!.name).toBe('a\\027b.test');
  });

  it('the fast paths for names without escapes agree with the byte-by-byte ones, whatever the name', () => {
    // Names from the characters that matter: plain letters (both cases), digits, dots (empty labels,
    // trailing dots), backslash escapes, space and control characters, non-ASCII text.
    const piece = fc.constantFrom('a', 'Z', '0', '-', '_', '*', '.', '..', '\\', '\\.', '\\065', ' ', '\x1b', '\x7f', 'é', '例');
    const names = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));
    fc.assert(fc.property(names, (name) => {
      expect(nameLabels(name)).toEqual(escapedNameLabels(name));
      expect(canonicalName(name)).toBe(escapedCanonicalName(name));
    }), { numRuns: 3000 });
    for (const name of ['', '.', '..', 'a.', 'a..', '.a', 'MAIL.Acme.Test.', 'x_y.-z.*']) expect(canonicalName(name)).toBe(escapedCanonicalName(name));
  });

  it('canonicalName and nameLabels round-trip through encodeQuery', () => {
    expect(canonicalName('Mail.ACME.test.')).toBe('mail.acme.test');
    expect(nameLabels('a\\.b.test').map((l) => l.toString())).toEqual(['a.b', 'test']);
    const q = encodeQuery(7, 'a\\.b.test', 'TXT', false);
    const back = decodeMessage(Buffer.concat([q.subarray(0, 2), Buffer.from([0x80, 0]), q.subarray(4, 10), Buffer.from([0, 0]), q.subarray(12, q.length - 11)]));
    expect(back.question!.name).toBe('a\\.b.test');
  });
});
