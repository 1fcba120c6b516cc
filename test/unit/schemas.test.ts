/** The schemas themselves: each compiles (ajv strict mode), carries a versioned $id, and rejects a wrong shape. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { assertSchema, schemaKinds, strictSchemas } from '../helpers/schemas.js';

const read = (kind: string) => JSON.parse(readFileSync(new URL(`../../schemas/${kind}.schema.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

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

  describe('strict mode (tests only): an object carries only the properties its schema lists', () => {
    const record = { purpose: 'dkim', type: 'CNAME', name: 'x._domainkey.a.test', value: 'y', priority: null, ttl: null, required: true, source: 'provider' };
    const checked = { ...record, status: 'verified', code: null, found: ['y'], detail: null, hint: null, resolvers: { '192.0.2.53': 'verified' } };
    const verify = { domain: 'a.test', provider: 'ses', status: 'verified', stage: null, providerStatus: 'verified', providerAction: null, allVerified: true,
      authoritative: { zone: 'a.test', servers: ['192.0.2.1'] }, records: [checked], notes: [], checkedAt: '2026-12-06T00:00:00.000Z' };
    const add = { domain: 'a.test', provider: 'ses', providerId: 'a.test', region: 'eu-west-1', status: 'pending', adopted: false, records: [record],
      notes: [{ kind: 'apex', domain: 'a.test', suggestion: 'mail.a.test' }] };

    it('the documents as they are pass', () => {
      expect(() => assertSchema('verify', verify)).not.toThrow();
      expect(() => assertSchema('verify', [verify, verify])).not.toThrow();
      expect(() => assertSchema('add', add)).not.toThrow();
    });

    it('one unknown property, at the top or nested (through $ref, allOf and oneOf), is refused', () => {
      const refused = (kind: string, doc: unknown, extra: string) => expect(() => assertSchema(kind, doc)).toThrow(new RegExp(`unevaluated properties.*"${extra}"`));
      refused('verify', { ...verify, extra: 1 }, 'extra');
      refused('verify', [verify, { ...verify, extra: 1 }], 'extra');
      refused('verify', { ...verify, authoritative: { ...verify.authoritative, extra: 1 } }, 'extra');
      // checkedRecord is common's record (allOf) plus its own keys: both sets are known, nothing else.
      refused('verify', { ...verify, records: [{ ...checked, extra: 1 }] }, 'extra');
      refused('add', { ...add, records: [{ ...record, extra: 1 }] }, 'extra');
      refused('add', { ...add, notes: [{ kind: 'apex', domain: 'a.test', suggestion: 'mail.a.test', at: '_dmarc.a.test' }] }, 'at');
      refused('health', { domains: [], checkedAt: '2026-12-06T00:00:00.000Z', extra: 1 }, 'extra');
      refused('error', { error: { code: 'USAGE', message: 'm', hint: null, extra: 1 } }, 'extra');
    });

    it('a union told apart by a const (add\'s notes by kind) reports what is wrong with the branch meant, not every branch', () => {
      const message = (() => { try { assertSchema('add', { ...add, notes: [{ kind: 'apex', domain: 'a.test', at: 'x' }] }); } catch (e) { return (e as Error).message; } return ''; })();
      expect(message).toMatch(/\/notes\/0 must have required property 'suggestion'/);
      expect(message).toMatch(/\/notes\/0 must NOT have unevaluated properties \{"unevaluatedProperty":"at"\}/);
      expect(message).not.toMatch(/allowedValue/);
      expect(() => assertSchema('add', { ...add, notes: [{ kind: 'apex-ish', domain: 'a.test', suggestion: 'b' }] })).toThrow(/kind must be equal to one of the allowed values/);
    });

    it('a map the schema describes with additionalProperties (verify\'s resolvers, staleFor) takes any key', () => {
      expect(() => assertSchema('verify', { ...verify, records: [{ ...checked, resolvers: { '192.0.2.9': 'stale' }, staleFor: { '192.0.2.9': 60 } }] })).not.toThrow();
    });

    it('the published files are not made strict: the same documents with an extra property pass them as shipped', () => {
      const Ajv2020 = (createRequire(import.meta.url)('ajv/dist/2020') as { default: new (opts: object) => { addSchema(s: object): unknown; getSchema(id: string): ((d: unknown) => boolean) | undefined } }).default;
      const kinds = schemaKinds();
      const shipped = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false });
      for (const k of kinds) shipped.addSchema(read(k));
      const check = (kind: string, doc: unknown) => shipped.getSchema(`https://mailsetup.dev/schemas/v1/${kind}.json`)!(doc);
      expect(check('verify', { ...verify, extra: 1, records: [{ ...checked, extra: 1 }] })).toBe(true);
      expect(check('add', { ...add, extra: 1, notes: [{ ...add.notes[0], extra: 1 }] })).toBe(true);
      // The helper closes copies: the schemas it is given are left as they are.
      const raw = kinds.map(read);
      const before = JSON.stringify(raw);
      const closed = strictSchemas(raw);
      expect(JSON.stringify(raw)).toBe(before);
      expect(JSON.stringify(closed)).toContain('"unevaluatedProperties":false');
    });
  });
});
