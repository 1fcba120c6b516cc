/**
 * Loopback emulator of the Route 53 REST-XML API (registrars.md §2.2–2.4, §7.2), close enough that
 * the real `@aws-sdk/client-route-53` cannot tell: ListHostedZonesByName and ListResourceRecordSets
 * with start-position semantics and Route 53's reversed-label order, atomic ChangeBatches with its
 * InvalidChangeBatch messages, TXT values kept verbatim (quoted), GetChange PENDING for N polls then
 * INSYNC, and `<ErrorResponse>` errors (or the legacy `<InvalidChangeBatch><Messages>` form on
 * request). Auth checks the SigV4 credential scope's key id and service, not the signature.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normaliseName } from '../../src/model/record.js';
import type { HostRecord } from '../../src/dns-hosts/types.js';
import type { DnsHostEmulator } from './dns-host-types.js';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';
import { checkTxt, decodeTxt, encodeTxt, esc, NS, parseChangeBatch, plainName, sortKey, wireName } from './route53-xml.js';
import type { WireChange } from './route53-xml.js';

export const R53_FAKE_KEY_ID = 'AKIDFAKEFAKEFAKE0000';

export interface R53Set { name: string; type: string; ttl: number; values: string[] }
interface Zone { id: string; name: string; private: boolean; sets: Map<string, R53Set> }

export interface Route53Emulator extends DnsHostEmulator {
  /** Every request with its query and raw body. */
  calls: Array<{ method: string; path: string; query: Record<string, string>; body: string }>;
  /** RRsets exactly as stored (values verbatim, quoted). */
  raw(zone: string): R53Set[];
  /** A private hosted zone (skipped by writers). */
  addPrivateZone(name: string): void;
  /** GetChange answers PENDING this many times before INSYNC (default 1). */
  setInsyncAfter(polls: number): void;
  /** Answer InvalidChangeBatch in the pre-2024 `<InvalidChangeBatch><Messages>` form. */
  useLegacyErrors(on: boolean): void;
  /** Run `fn` when the next ChangeBatch arrives, before it is applied (a concurrent writer). */
  beforeNextChange(fn: () => void): void;
}

class R53Error extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly type = 'Sender') { super(message); }
}
const invalid = (message: string) => new R53Error(400, 'InvalidChangeBatch', `[${message}]`);
const id = (prefix: string) => prefix + randomBytes(10).toString('hex').toUpperCase().slice(0, 14);
const key = (name: string, type: string) => `${plainName(name)}|${type}`;
const byOrder = (a: R53Set, b: R53Set) => (sortKey(a.name) < sortKey(b.name) ? -1 : sortKey(a.name) > sortKey(b.name) ? 1 : a.type.localeCompare(b.type));

function setXml(s: R53Set): string {
  const values = s.values.map((v) => `<ResourceRecord><Value>${esc(v)}</Value></ResourceRecord>`).join('');
  return `<ResourceRecordSet><Name>${esc(wireName(s.name))}</Name><Type>${s.type}</Type><TTL>${s.ttl}</TTL><ResourceRecords>${values}</ResourceRecords></ResourceRecordSet>`;
}

/** Route 53's checks on one batch, applied to a copy: all changes land or none. */
function applyBatch(zone: Zone, changes: WireChange[]): Map<string, R53Set> {
  const sets = new Map([...zone.sets].map(([k, s]) => [k, { ...s, values: [...s.values] }]));
  const seen = new Map<string, string>();
  for (const c of changes) {
    const name = plainName(c.name);
    const k = key(name, c.type);
    const label = `[name='${wireName(name)}', type='${c.type}']`;
    // A set may appear twice only as DELETE then CREATE (the pre-UPSERT way to replace a set, still valid).
    const again = seen.get(k);
    if (again !== undefined && !(again === 'DELETE' && c.action === 'CREATE')) throw invalid(`The request contains an invalid set of changes for a resource record set '${c.type} ${wireName(name)}'`);
    seen.set(k, c.action);
    if (c.alias || c.setIdentifier !== undefined) throw new R53Error(400, 'InvalidInput', 'This emulator does not model alias or routing-policy record sets.');
    if (!(name === zone.name || name.endsWith(`.${zone.name}`))) throw invalid(`RRSet with DNS name ${wireName(name)} is not permitted in zone ${zone.name}.`);
    if (c.ttl === null || c.values.length === 0) throw new R53Error(400, 'InvalidInput', 'Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=' + c.action + ', Name=' + wireName(name) + ', Type=' + c.type + ', SetIdentifier=null]');
    const cur = sets.get(k);
    if (c.action === 'DELETE') {
      if (!cur) throw invalid(`Tried to delete resource record set ${label} but it was not found`);
      if (cur.ttl !== c.ttl || [...cur.values].sort().join('\n') !== [...c.values].sort().join('\n')) throw invalid(`Tried to delete resource record set ${label} but the values provided do not match the current values`);
      sets.delete(k);
      continue;
    }
    if (c.action === 'CREATE' && cur) throw invalid(`Tried to create resource record set ${label} but it already exists`);
    if (c.action !== 'CREATE' && c.action !== 'UPSERT') throw new R53Error(400, 'InvalidInput', `Invalid Action ${c.action}`);
    for (const v of c.values) {
      if (c.type === 'TXT') { const bad = checkTxt(v); if (bad) throw invalid(bad); }
      if (c.type === 'MX' && !/^\d{1,5} \S+$/.test(v)) throw invalid(`Invalid Resource Record: 'FATAL problem: ParseError (MX record must be "<preference> <host>") encountered with '${v}''`);
    }
    if (new Set(c.values).size !== c.values.length) throw invalid(`Duplicate Resource Record: '${c.values.find((v, i) => c.values.indexOf(v) !== i)}'`);
    if (c.type === 'CNAME' && c.values.length !== 1) throw invalid(`RRSet of type CNAME with DNS name ${wireName(name)} does not contain exactly one resource record.`);
    sets.set(k, { name, type: c.type, ttl: c.ttl, values: c.values });
  }
  // CNAME exclusivity, judged on the result of the whole batch.
  for (const s of sets.values()) {
    const others = [...sets.values()].filter((o) => o.name === s.name && o.type !== s.type);
    if (s.type === 'CNAME' && others.length > 0) throw invalid(`RRSet of type CNAME with DNS name ${wireName(s.name)} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}.`);
  }
  return sets;
}

export async function startRoute53Emulator(): Promise<Route53Emulator> {
  const zones = new Map<string, Zone>();
  const changeLog = new Map<string, { polls: number; submitted: string }>();
  const calls: Route53Emulator['calls'] = [];
  const faults = createFaultSwitch();
  let insyncAfter = 1;
  let legacy = false;
  let beforeChange: (() => void) | null = null;

  const zonesNamed = (name: string) => [...zones.values()].filter((z) => z.name === normaliseName(name));
  const publicZone = (name: string) => zonesNamed(name).find((z) => !z.private);

  function makeZone(name: string, priv: boolean) {
    const z: Zone = { id: id('Z'), name: normaliseName(name), private: priv, sets: new Map() };
    z.sets.set(key(z.name, 'SOA'), { name: z.name, type: 'SOA', ttl: 900, values: ['ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'] });
    z.sets.set(key(z.name, 'NS'), { name: z.name, type: 'NS', ttl: 172800, values: ['ns-1.awsdns-01.org.', 'ns-2.awsdns-02.com.'] });
    zones.set(z.id, z);
  }

  function route(method: string, path: string, q: URLSearchParams, body: string): string {
    if (method === 'GET' && path === '/2013-04-01/hostedzonesbyname') {
      const max = Math.min(100, Number(q.get('maxitems') ?? 100));
      const dns = q.get('dnsname');
      const all = [...zones.values()].sort((a, b) => (sortKey(a.name) < sortKey(b.name) ? -1 : sortKey(a.name) > sortKey(b.name) ? 1 : a.id.localeCompare(b.id)));
      let from = dns ? all.findIndex((z) => sortKey(z.name) >= sortKey(dns)) : 0;
      if (from < 0) from = all.length;
      const hz = q.get('hostedzoneid');
      if (hz) from = Math.max(from, all.findIndex((z) => z.id === hz.replace('/hostedzone/', '')));
      const pageZones = all.slice(from, from + max);
      const next = all[from + max];
      const items = pageZones.map((z) => `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${esc(wireName(z.name))}</Name><CallerReference>${z.id}</CallerReference><Config><PrivateZone>${z.private}</PrivateZone></Config><ResourceRecordSetCount>${z.sets.size}</ResourceRecordSetCount></HostedZone>`).join('');
      return `<ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>${items}</HostedZones>${dns ? `<DNSName>${esc(dns)}</DNSName>` : ''}<IsTruncated>${next !== undefined}</IsTruncated>${next ? `<NextDNSName>${esc(wireName(next.name))}</NextDNSName><NextHostedZoneId>${next.id}</NextHostedZoneId>` : ''}<MaxItems>${max}</MaxItems></ListHostedZonesByNameResponse>`;
    }
    const ch = path.match(/^\/2013-04-01\/change\/(?:change\/)?([^/]+)$/);
    if (method === 'GET' && ch) {
      const c = changeLog.get(ch[1]!);
      if (!c) throw new R53Error(404, 'NoSuchChange', `A change with the specified change ID does not exist: ${ch[1]}`);
      const status = c.polls++ >= insyncAfter ? 'INSYNC' : 'PENDING';
      return `<GetChangeResponse xmlns="${NS}"><ChangeInfo><Id>/change/${ch[1]}</Id><Status>${status}</Status><SubmittedAt>${c.submitted}</SubmittedAt></ChangeInfo></GetChangeResponse>`;
    }
    const m = path.match(/^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/);
    if (!m) throw new R53Error(404, 'UnknownOperationException', `No operation at ${method} ${path}`);
    const zone = zones.get(m[1]!);
    if (!zone) throw new R53Error(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${m[1]}`);
    if (method === 'GET') {
      const max = Math.min(300, Number(q.get('maxitems') ?? 300));
      const name = q.get('name');
      const type = q.get('type');
      if (type && !name) throw new R53Error(400, 'InvalidInput', 'The input is not valid: type given without name');
      const all = [...zone.sets.values()].sort(byOrder);
      const from = name ? all.findIndex((s) => sortKey(s.name) > sortKey(name) || (sortKey(s.name) === sortKey(name) && (!type || s.type >= type))) : 0;
      const start = from < 0 ? all.length : from;
      const page = all.slice(start, start + max);
      const next = all[start + max];
      return `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(setXml).join('')}</ResourceRecordSets><IsTruncated>${next !== undefined}</IsTruncated>${next ? `<NextRecordName>${esc(wireName(next.name))}</NextRecordName><NextRecordType>${next.type}</NextRecordType>` : ''}<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`;
    }
    if (method !== 'POST') throw new R53Error(405, 'MethodNotAllowed', 'Method not allowed');
    const hook = beforeChange;
    beforeChange = null;
    hook?.();
    const changes = parseChangeBatch(body);
    if (!changes || changes.length === 0) throw new R53Error(400, 'InvalidInput', 'Invalid XML ; cvc-complex-type.2.4.b: The content of element ChangeBatch is not complete.');
    zone.sets = applyBatch(zone, changes);
    const cid = id('C');
    const submitted = new Date().toISOString();
    changeLog.set(cid, { polls: 0, submitted });
    return `<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/${cid}</Id><Status>PENDING</Status><SubmittedAt>${submitted}</SubmittedAt><Comment>mailsetup</Comment></ChangeInfo></ChangeResourceRecordSetsResponse>`;
  }

  function send(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}) {
    if (res.destroyed) return;
    const text = xml.startsWith('<?xml') || !xml.startsWith('<') ? xml : `<?xml version="1.0"?>\n${xml}`;
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID(), 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
  }
  function sendError(res: ServerResponse, e: R53Error, headers: Record<string, string> = {}) {
    if (legacy && e.code === 'InvalidChangeBatch') {
      return send(res, e.status, `<InvalidChangeBatch xmlns="${NS}"><Messages><Message>${esc(e.message.replace(/^\[|\]$/g, ''))}</Message></Messages><RequestId>${randomUUID()}</RequestId></InvalidChangeBatch>`, headers);
    }
    send(res, e.status, `<ErrorResponse xmlns="${NS}"><Error><Type>${e.type}</Type><Code>${e.code}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`, headers);
  }

  const answers: FaultAnswers = {
    auth: (res) => sendError(res, new R53Error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')),
    forbidden: (res) => sendError(res, new R53Error(403, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: route53:* on resource: arn:aws:route53:::hostedzone/*')),
    rateLimit: (res, retryAfter) => sendError(res, new R53Error(400, 'Throttling', 'Rate exceeded'), retryAfter),
    serverError: (res) => sendError(res, new R53Error(500, 'InternalFailure', 'An internal error occurred.', 'Receiver')),
    malformed: `<?xml version="1.0"?><ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones><HostedZone><Id>/hosted<html>502`,
    truncated: `<?xml version="1.0"?><ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>`,
    contentType: 'text/xml',
    headers: () => ({ 'x-amzn-requestid': randomUUID() }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: string, url: URL) {
    calls.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body });
    if (await faults.answer(res, faults.next(), answers)) return;

    const scope = String(req.headers.authorization ?? '').match(/^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/);
    if (!scope) return sendError(res, new R53Error(403, 'MissingAuthenticationToken', 'Missing Authentication Token'));
    if (scope[1] !== R53_FAKE_KEY_ID) return sendError(res, new R53Error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'));
    if (scope[3] !== 'route53') return sendError(res, new R53Error(403, 'SignatureDoesNotMatch', "Credential should be scoped to correct service: 'route53'."));
    try {
      send(res, 200, route(req.method ?? 'GET', url.pathname, url.searchParams, body));
    } catch (e) {
      sendError(res, e instanceof R53Error ? e : new R53Error(500, 'InternalFailure', String(e), 'Receiver'));
    }
  }

  const server = await startLoopbackServer((req, res, raw, url) => handle(req, res, raw.toString('utf8'), url), faults);
  const { baseUrl, requests } = server;
  const inZone = (zone: string) => [...(publicZone(zone)?.sets.values() ?? [])].filter((s) => !(s.name === normaliseName(zone) && (s.type === 'SOA' || s.type === 'NS')));

  return {
    baseUrl,
    env: {
      AWS_ACCESS_KEY_ID: R53_FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests-only', AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_ROUTE_53: baseUrl, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true',
    },
    credentialEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
    requests,
    calls,
    addZone(name) { if (!publicZone(name)) makeZone(name, false); },
    addPrivateZone(name) { makeZone(name, true); },
    seed(zone, r: HostRecord) {
      const z = publicZone(zone);
      if (!z) throw new Error(`no zone ${zone}`);
      const type = r.type.toUpperCase();
      const value = type === 'TXT' ? encodeTxt(r.value) : type === 'MX' ? `${r.priority ?? 10} ${wireName(r.value)}` : type === 'CNAME' ? wireName(r.value) : r.value;
      const k = key(r.name, type);
      const cur = z.sets.get(k);
      z.sets = applyBatch(z, [{ action: 'UPSERT', name: r.name, type, ttl: cur?.ttl ?? r.ttl ?? 300, values: [...(cur?.values ?? []), value], alias: false, setIdentifier: undefined }]);
    },
    raw: (zone) => inZone(zone).sort(byOrder),
    records: (zone) => inZone(zone).flatMap((s) => s.values.map((v): HostRecord => {
      if (s.type === 'TXT') return { type: s.type, name: s.name, value: decodeTxt(v), priority: null, ttl: s.ttl };
      const mx = s.type === 'MX' ? v.match(/^(\d+) (\S+)$/) : null;
      if (mx) return { type: s.type, name: s.name, value: normaliseName(mx[2]!), priority: Number(mx[1]), ttl: s.ttl };
      return { type: s.type, name: s.name, value: s.type === 'CNAME' ? normaliseName(v) : v, priority: null, ttl: s.ttl };
    })),
    fail: faults.fail,
    setInsyncAfter(n) { insyncAfter = n; },
    useLegacyErrors(on) { legacy = on; },
    beforeNextChange(fn) { beforeChange = fn; },
    close: server.close,
  };
}
