/** The schemas themselves: each compiles (ajv strict mode), carries a versioned $id, and rejects a wrong shape. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { assertSchema, schemaKinds } from '../helpers/schemas.js';

describe('schemas/', () => {
  it.each(schemaKinds().filter((k) => k !== 'common'))('%s.schema.json compiles and has a versioned $id', (kind) => {
    const schema = JSON.parse(readFileSync(new URL(`../../schemas/${kind}.schema.json`, import.meta.url), 'utf8'));
    expect(schema.$id).toBe(`https://mailsetup.dev/schemas/v1/${kind}.json`);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => assertSchema(kind, {})).toThrow(/does not match/);
  });

  it('error: exactly {error: {code, message, hint}}', () => {
    expect(() => assertSchema('error', { error: { code: 'DNS_UNAVAILABLE', message: 'm', hint: null } })).not.toThrow();
    expect(() => assertSchema('error', { error: { code: 'dns unavailable', message: 'm' } })).toThrow(/pattern/);
  });

  it('verify: a record status outside the contract is refused', () => {
    const doc = { domain: 'a.test', provider: 'ses', status: 'pending', stage: null, providerStatus: 'pending', providerAction: null, allVerified: false, authoritative: { zone: 'a.test', servers: [] }, notes: [], records: [
      { purpose: 'dkim', type: 'CNAME', name: 'x._domainkey.a.test', value: 'y', priority: null, ttl: null, required: true, source: 'provider', status: 'maybe', code: null, found: [], detail: null, hint: null, resolvers: {} },
    ], checkedAt: '2026-12-06T00:00:00.000Z' };
    expect(() => assertSchema('verify', doc)).toThrow(/status/);
    expect(() => assertSchema('verify', [{ ...doc, records: [{ ...doc.records[0], status: 'verified' }] }])).not.toThrow();
  });
});
