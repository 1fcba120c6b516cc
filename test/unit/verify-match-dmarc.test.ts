/**
 * verify's DMARC match never advises a weaker policy: the owner's record with v=DMARC1 out of place
 * (or pasted with quotes) is theirs, broken — `invalid` with the reordered record as the fix — not
 * `missing`, whose hint would publish the suggested (p=none) record over a p=reject.
 */
import { describe, expect, it } from 'vitest';
import { memoryLookup } from '../../src/dns/zone.js';
import { matchRecord } from '../../src/core/verify-match.js';
import { rec, txt, zone } from '../helpers/zone-builders.js';

const NAME = '_dmarc.mail.acme.test';
const wanted = rec({ purpose: 'dmarc', type: 'TXT', name: NAME, value: 'v=DMARC1; p=none', source: 'mailsetup' });

async function match(value: string) {
  const lookup = memoryLookup(zone(txt(NAME, value)));
  const answer = await lookup(NAME, 'TXT');
  return matchRecord(wanted, answer, { zone: 'acme.test', domain: 'mail.acme.test', authLookup: lookup, resolverLookup: lookup });
}

describe('verify: a DMARC record with v=DMARC1 not first', () => {
  it('is invalid (DMARC_SYNTAX), fixed by moving v=DMARC1 to the front of the owner\'s own record', async () => {
    const r = await match('p=reject; v=DMARC1; rua=mailto:d@acme.test');
    expect(r).toMatchObject({ status: 'invalid', code: 'DMARC_SYNTAX', hint: 'Publish your record with v=DMARC1 moved to the front: "v=DMARC1; p=reject; rua=mailto:d@acme.test".' });
    expect(r.hint).not.toContain('p=none');
  });

  it('a quoted p=reject record is RECORD_QUOTED, fixed by removing the quotes, not by publishing p=none', async () => {
    const r = await match('"v=DMARC1; p=reject"');
    expect(r).toMatchObject({ status: 'invalid', code: 'RECORD_QUOTED' });
    expect(r.hint).toContain('v=DMARC1; p=reject');
    expect(r.hint).not.toContain('p=none');
  });

  it('an unrelated TXT record still reads as missing', async () => {
    expect((await match('hello')).status).toBe('missing');
  });
});
