/**
 * Loopback emulator of the Amazon SES v2 REST-JSON API (providers.md §1, §5 "AWS SES v2"), close
 * enough that the real `@aws-sdk/client-sesv2` cannot tell: PascalCase JSON, epoch-second
 * timestamps, errors as status + `x-amzn-ErrorType` + `{"message"}`. Identities are per region,
 * as at AWS: the region comes from the SigV4 credential scope of each request.
 */
import { createPrivateKey, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';
import type { ProviderEmulator } from './types.js';
import { within, type DaySeed } from './delivery-seed.js';

export const SES_FAKE_KEY_ID = 'AKIDFAKEFAKEFAKE0000';

export interface SesEmulatorIdentity {
  name: string;
  type: 'DOMAIN' | 'EMAIL_ADDRESS';
  region: string;
  tokens: string[];
  origin: 'AWS_SES' | 'EXTERNAL';
  /** BYODKIM: what the client sent, kept so tests can check the private key reached SES. */
  privateKey?: string;
  keyBits?: number;
  verification: string;
  dkimStatus: string;
  errorType?: string;
  mailFrom?: { domain: string; behavior: string; status: string };
  lastChecked: number;
}

export interface SesAccount {
  EnforcementStatus: string;
  SendingEnabled: boolean;
  ProductionAccessEnabled: boolean;
  SendQuota: { Max24HourSend: number; MaxSendRate: number; SentLast24Hours: number };
  VdmEnabled: 'ENABLED' | 'DISABLED';
}

export interface SesRequest { method: string; path: string; region: string | null; body: unknown }

export interface SesEmulator extends ProviderEmulator {
  requests: SesRequest[];
  /** The stored identity (first region that has it unless one is named). */
  identity(name: string, region?: string): SesEmulatorIdentity | undefined;
  /** What GetAccount answers (EnforcementStatus, SendingEnabled, ProductionAccessEnabled, SendQuota, VdmEnabled). */
  setAccount(a: Partial<SesAccount>): void;
  /** VDM BatchGetMetricData figures of one identity (only answered while VDM is enabled). */
  setVdmDays(identity: string, days: DaySeed[]): void;
  /** Per-query errors BatchGetMetricData returns with HTTP 200 (metric name → error code). */
  setVdmErrors(errors: Record<string, 'ACCESS_DENIED' | 'INTERNAL_FAILURE'>): void;
  /** The account-wide CloudWatch AWS/SES counts and Reputation gauges (null: no data point). */
  setCloudWatch(c: { days?: DaySeed[]; bounceRate?: number | null; complaintRate?: number | null; forbidden?: boolean }): void;
  /** Put an identity in any state SES can report (FAILED, TEMPORARY_FAILURE …). */
  setStatus(name: string, s: { verification?: string; dkim?: string; mailFrom?: string; errorType?: string }): void;
}

/** Regions whose DKIM CNAMEs point into a regional zone (AWS General Reference). */
const REGIONAL_DKIM = new Set(['af-south-1', 'ap-northeast-3', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-5', 'ca-west-1', 'eu-central-2', 'eu-south-1', 'il-central-1', 'me-central-1', 'us-gov-east-1']);
const hostedZone = (region: string) => (REGIONAL_DKIM.has(region) ? `dkim.${region}.amazonses.com` : 'dkim.amazonses.com');

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const isDomain = (s: string) => s.length <= 253 && s.split('.').length >= 2 && s.split('.').every((l) => LABEL.test(l));
const token = () => [...randomBytes(32)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
const now = () => Date.now() / 1000;

class SesError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) { super(message); }
}

/** BYODKIM key as SES takes it: base64 of the DER (PKCS#1 or PKCS#8), RSA 1024–2048 bits. */
function keyBits(b64: string): number {
  const der = Buffer.from(b64.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  for (const type of ['pkcs1', 'pkcs8'] as const) {
    try {
      const key = createPrivateKey({ key: der, format: 'der', type });
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (key.asymmetricKeyType === 'rsa' && bits >= 1024 && bits <= 2048) return bits;
    } catch { /* try the next encoding */ }
  }
  throw new SesError(400, 'BadRequestException', 'The private key is not a valid 1024-2048 bit RSA key in base64-encoded DER.');
}

export async function startSesEmulator(): Promise<SesEmulator> {
  const store = new Map<string, SesEmulatorIdentity>(); // `${region}|${name}`
  const requests: SesRequest[] = [];
  const faults = createFaultSwitch();
  let account: SesAccount = { EnforcementStatus: 'HEALTHY', SendingEnabled: true, ProductionAccessEnabled: true, SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 }, VdmEnabled: 'ENABLED' };
  const vdmDays = new Map<string, DaySeed[]>();
  let vdmErrors: Record<string, string> = {};
  let cloudwatch: { days: DaySeed[]; bounceRate: number | null; complaintRate: number | null; forbidden: boolean } = { days: [], bounceRate: null, complaintRate: null, forbidden: false };

  /** Epoch seconds of a UTC day (restJson and awsJson timestamps). */
  const epoch = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
  const VDM_FIELD: Record<string, (d: DaySeed) => number> = {
    SEND: (d) => d.sent, DELIVERY: (d) => d.delivered, PERMANENT_BOUNCE: (d) => d.bounces, COMPLAINT: (d) => d.complaints,
    DELIVERY_COMPLAINT: (d) => d.deliveryComplaint ?? d.delivered, TRANSIENT_BOUNCE: () => 0, OPEN: () => 0, CLICK: () => 0, DELIVERY_OPEN: () => 0, DELIVERY_CLICK: () => 0,
  };

  function getAccount() {
    return {
      DedicatedIpAutoWarmupEnabled: false, EnforcementStatus: account.EnforcementStatus, ProductionAccessEnabled: account.ProductionAccessEnabled,
      SendQuota: account.SendQuota, SendingEnabled: account.SendingEnabled, SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      VdmAttributes: { VdmEnabled: account.VdmEnabled },
    };
  }

  /** POST /v2/email/metrics/batch: whole-call errors as SES throws them, per-query errors with HTTP 200. */
  function batchGetMetricData(body: Record<string, unknown>) {
    const queries = Array.isArray(body.Queries) ? (body.Queries as Array<Record<string, unknown>>) : [];
    if (queries.length < 1 || queries.length > 10) throw new SesError(400, 'BadRequestException', '1 validation error detected: Value at \'queries\' failed to satisfy constraint: Member must have length between 1 and 10');
    // What SES answers with VDM off is unverified (reputation.md §1.4); a BadRequest is our guess.
    if (account.VdmEnabled !== 'ENABLED') throw new SesError(400, 'BadRequestException', 'Virtual Deliverability Manager is not enabled for this account.');
    const Results: unknown[] = [];
    const Errors: unknown[] = [];
    for (const q of queries) {
      const metric = String(q.Metric ?? '');
      if (q.Namespace !== 'VDM' || !(metric in VDM_FIELD)) throw new SesError(400, 'BadRequestException', `Invalid metric ${metric}.`);
      const dims = (q.Dimensions ?? {}) as Record<string, string>;
      const err = vdmErrors[metric];
      if (err) { Errors.push({ Id: q.Id, Code: err, Message: err === 'ACCESS_DENIED' ? 'Access denied.' : 'Internal failure.' }); continue; }
      const days = within(vdmDays.get(canon(dims.EMAIL_IDENTITY ?? '')) ?? [], new Date(Number(q.StartDate) * 1000), new Date(Number(q.EndDate) * 1000));
      Results.push({ Id: q.Id, Timestamps: days.map((d) => epoch(d.date)), Values: days.map((d) => VDM_FIELD[metric]!(d)) });
    }
    return { Results, Errors };
  }

  const CW_FIELD: Record<string, (d: DaySeed) => number> = { Send: (d) => d.sent, Delivery: (d) => d.delivered, Bounce: (d) => d.bounces, Complaint: (d) => d.complaints };

  /** CloudWatch GetMetricData (AWS JSON 1.0): daily sums of AWS/SES counts and the reputation gauges. */
  function getMetricData(body: Record<string, unknown>) {
    const queries = Array.isArray(body.MetricDataQueries) ? (body.MetricDataQueries as Array<Record<string, unknown>>) : [];
    const from = new Date(Number(body.StartTime) * 1000);
    const to = new Date(Number(body.EndTime) * 1000);
    const MetricDataResults = queries.map((q) => {
      const stat = (q.MetricStat ?? {}) as { Metric?: { Namespace?: string; MetricName?: string } };
      const name = stat.Metric?.MetricName ?? '';
      if (stat.Metric?.Namespace !== 'AWS/SES') return { Id: q.Id, Label: name, Timestamps: [], Values: [], StatusCode: 'Complete' };
      if (name === 'Reputation.BounceRate' || name === 'Reputation.ComplaintRate') {
        const v = name === 'Reputation.BounceRate' ? cloudwatch.bounceRate : cloudwatch.complaintRate;
        return { Id: q.Id, Label: name, Timestamps: v === null ? [] : [Math.floor(to.getTime() / 1000) - 3600], Values: v === null ? [] : [v], StatusCode: 'Complete' };
      }
      const pick = CW_FIELD[name];
      const days = pick ? within(cloudwatch.days, from, to) : [];
      // CloudWatch returns newest first.
      return { Id: q.Id, Label: name, Timestamps: days.map((d) => epoch(d.date)).reverse(), Values: days.map((d) => pick!(d)).reverse(), StatusCode: 'Complete' };
    });
    return { MetricDataResults, Messages: [] };
  }

  /** Domains are case-insensitive; an address keeps its local part as written. */
  const canon = (name: string) => (name.includes('@') ? name.replace(/@[^@]*$/, (d) => d.toLowerCase()) : name.toLowerCase());
  const all = (name: string) => [...store.values()].filter((i) => i.name === canon(name));

  function create(region: string, body: Record<string, unknown>) {
    const name = typeof body.EmailIdentity === 'string' ? canon(body.EmailIdentity) : '';
    const isEmail = name.includes('@');
    if (!name || (isEmail ? !isDomain(name.split('@')[1] ?? '') : !isDomain(name))) {
      throw new SesError(400, 'BadRequestException', `Invalid email identity: ${name || '(empty)'}.`);
    }
    if (store.has(`${region}|${name}`)) throw new SesError(400, 'AlreadyExistsException', `Email identity ${name} already exist.`);
    const dsa = (body.DkimSigningAttributes ?? {}) as Record<string, unknown>;
    const byo = dsa.DomainSigningSelector !== undefined || dsa.DomainSigningPrivateKey !== undefined;
    const id: SesEmulatorIdentity = {
      name, region, type: isEmail ? 'EMAIL_ADDRESS' : 'DOMAIN', tokens: [], origin: byo ? 'EXTERNAL' : 'AWS_SES',
      verification: 'PENDING', dkimStatus: isEmail ? 'NOT_STARTED' : 'PENDING', lastChecked: now(),
    };
    if (byo) {
      if (isEmail) throw new SesError(400, 'BadRequestException', 'DKIM signing attributes apply to domain identities only.');
      const selector = String(dsa.DomainSigningSelector ?? '');
      if (!LABEL.test(selector)) throw new SesError(400, 'BadRequestException', 'Invalid DomainSigningSelector.');
      id.keyBits = keyBits(String(dsa.DomainSigningPrivateKey ?? ''));
      id.privateKey = String(dsa.DomainSigningPrivateKey);
      id.tokens = [selector];
    } else if (!isEmail) id.tokens = [token(), token(), token()];
    store.set(`${region}|${name}`, id);
    return { IdentityType: id.type, VerifiedForSendingStatus: false, DkimAttributes: dkim(id) };
  }

  function dkim(id: SesEmulatorIdentity) {
    if (id.type === 'EMAIL_ADDRESS') return { SigningEnabled: false, Status: 'NOT_STARTED', SigningAttributesOrigin: 'AWS_SES', NextSigningKeyLength: 'RSA_1024_BIT' };
    const easy = id.origin === 'AWS_SES';
    return {
      SigningEnabled: true, Status: id.dkimStatus, Tokens: id.tokens, SigningAttributesOrigin: id.origin,
      ...(easy ? { SigningHostedZone: hostedZone(id.region), NextSigningKeyLength: 'RSA_2048_BIT', CurrentSigningKeyLength: 'RSA_2048_BIT' } : {}),
      LastKeyGenerationTimestamp: id.lastChecked,
    };
  }

  function describe(id: SesEmulatorIdentity) {
    return {
      IdentityType: id.type, FeedbackForwardingStatus: true, VerifiedForSendingStatus: id.verification === 'SUCCESS',
      DkimAttributes: dkim(id),
      MailFromAttributes: id.mailFrom
        ? { MailFromDomain: id.mailFrom.domain, MailFromDomainStatus: id.mailFrom.status, BehaviorOnMxFailure: id.mailFrom.behavior }
        : { BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      Policies: {}, Tags: [], VerificationStatus: id.verification,
      VerificationInfo: id.type === 'DOMAIN' ? { LastCheckedTimestamp: id.lastChecked, ...(id.errorType ? { ErrorType: id.errorType } : {}) } : {},
    };
  }

  function route(method: string, path: string, region: string, body: Record<string, unknown>): unknown {
    if (path === '/v2/email/account' && method === 'GET') return getAccount();
    if (path === '/v2/email/metrics/batch' && method === 'POST') return batchGetMetricData(body);
    if (path === '/v2/email/identities' && method === 'POST') return create(region, body);
    if ((path === '/v2/email/identities' && method === 'GET') || (path === '/v2/email/list-identities' && method === 'POST')) {
      return { EmailIdentities: [...store.values()].filter((i) => i.region === region).map((i) => ({ IdentityType: i.type, IdentityName: i.name, SendingEnabled: true, VerificationStatus: i.verification })) };
    }
    const m = path.match(/^\/v2\/email\/identities\/([^/]+)(\/mail-from)?$/);
    if (!m) throw new SesError(404, 'UnknownOperationException', `No operation at ${method} ${path}`);
    const name = canon(decodeURIComponent(m[1]!));
    const id = store.get(`${region}|${name}`);
    if (m[2] && method === 'PUT') {
      if (!id) throw new SesError(400, 'BadRequestException', `Identity ${name} does not exist.`);
      const behavior = String(body.BehaviorOnMxFailure ?? 'USE_DEFAULT_VALUE');
      if (!['USE_DEFAULT_VALUE', 'REJECT_MESSAGE'].includes(behavior)) {
        throw new SesError(400, 'BadRequestException', "1 validation error detected: Value at 'behaviorOnMxFailure' failed to satisfy constraint: Member must satisfy enum value set: [REJECT_MESSAGE, USE_DEFAULT_VALUE]");
      }
      const domain = typeof body.MailFromDomain === 'string' ? body.MailFromDomain.toLowerCase() : '';
      if (domain && (!isDomain(domain) || !domain.endsWith(`.${name}`))) {
        throw new SesError(400, 'BadRequestException', `Invalid MAIL FROM domain ${domain}: it must be a subdomain of ${name}.`);
      }
      id.mailFrom = domain ? { domain, behavior, status: 'PENDING' } : undefined;
      return {};
    }
    if (m[2]) throw new SesError(404, 'UnknownOperationException', `No operation at ${method} ${path}`);
    if (!id) throw new SesError(404, 'NotFoundException', `Email identity ${name} does not exist.`);
    if (method === 'GET') return describe(id);
    if (method === 'DELETE') { store.delete(`${region}|${name}`); return {}; }
    throw new SesError(404, 'UnknownOperationException', `No operation at ${method} ${path}`);
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }
  const sendError = (res: ServerResponse, e: SesError, extra: Record<string, string> = {}) =>
    send(res, e.status, { message: e.message }, { 'x-amzn-errortype': e.type, ...extra });

  const answers: FaultAnswers = {
    auth: (res) => sendError(res, new SesError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.')),
    forbidden: (res) => sendError(res, new SesError(403, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: ses:* on resource: *')),
    rateLimit: (res, retryAfter) => sendError(res, new SesError(429, 'TooManyRequestsException', 'Too Many Requests'), retryAfter),
    serverError: (res) => sendError(res, new SesError(500, 'InternalFailure', 'We encountered an internal error. Please try again.')),
    malformed: '{"IdentityType": "DOMAIN", <html>upstream hiccup',
    truncated: '{"IdentityType":"DOM',
    headers: () => ({ 'x-amzn-requestid': randomUUID() }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string, url: URL) {
    const auth = String(req.headers.authorization ?? '');
    const scope = auth.match(/Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/);
    let body: Record<string, unknown> = {};
    let parsed = true;
    try { body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}; } catch { parsed = false; }
    const region = scope?.[2] ?? null;
    requests.push({ method: req.method ?? 'GET', path: url.pathname, region, body });
    if (await faults.answer(res, faults.next(), answers)) return;

    if (!scope) return sendError(res, new SesError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'));
    if (scope[1] !== SES_FAKE_KEY_ID) return sendError(res, new SesError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'));
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('GraniteServiceVersion20100801.')) {
      const cwError = (status: number, type: string, message: string) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'x-amzn-query-error': `${type};Sender` });
        res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${type}`, message }));
      };
      if (scope[3] !== 'monitoring') return cwError(403, 'InvalidSignatureException', `Credential should be scoped to correct service: 'monitoring'.`);
      if (target !== 'GraniteServiceVersion20100801.GetMetricData') return cwError(400, 'UnknownOperationException', `No operation ${target}`);
      if (cloudwatch.forbidden) return cwError(403, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: cloudwatch:GetMetricData');
      if (!parsed) return cwError(400, 'SerializationException', 'Request body is not valid JSON.');
      return send(res, 200, getMetricData(body), { 'content-type': 'application/x-amz-json-1.0' });
    }
    if (scope[3] !== 'ses') return sendError(res, new SesError(403, 'InvalidSignatureException', `Credential should be scoped to correct service: 'ses'.`));
    if (!parsed) return sendError(res, new SesError(400, 'BadRequestException', 'Request body is not valid JSON.'));
    try {
      send(res, 200, route(req.method ?? 'GET', url.pathname, scope[2]!, body));
    } catch (e) {
      if (e instanceof SesError) sendError(res, e);
      else send(res, 500, { message: String(e) });
    }
  }

  const server = await startLoopbackServer((req, res, raw, url) => handle(req, res, raw.toString('utf8'), url), faults);
  const { baseUrl } = server;

  return {
    baseUrl,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: SES_FAKE_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests-only',
      AWS_ENDPOINT_URL_SESV2: baseUrl,
      AWS_ENDPOINT_URL_CLOUDWATCH: baseUrl,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Without keys the credential chain must find nothing real: no profile files, no IMDS probe.
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/mailsetup-ses-emulator/credentials',
      AWS_CONFIG_FILE: '/nonexistent/mailsetup-ses-emulator/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    credentialEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
    requests,
    fail: (f, times) => faults.fail(f, times),
    setVerified(name) {
      for (const id of all(name)) {
        id.verification = 'SUCCESS';
        if (id.type === 'DOMAIN') id.dkimStatus = 'SUCCESS';
        if (id.mailFrom) id.mailFrom.status = 'SUCCESS';
        delete id.errorType;
        id.lastChecked = now();
      }
    },
    seed(name) { create('us-east-1', { EmailIdentity: name }); },
    hasDomain: (name) => all(name).length > 0,
    identity: (name, region) => (region ? store.get(`${region}|${canon(name)}`) : all(name)[0]),
    setAccount(a) { account = { ...account, ...a }; },
    setVdmDays(identity, days) { vdmDays.set(canon(identity), days); },
    setVdmErrors(errors) { vdmErrors = { ...errors }; },
    setCloudWatch(c) { cloudwatch = { ...cloudwatch, ...c }; },
    setStatus(name, s) {
      for (const id of all(name)) {
        if (s.verification) id.verification = s.verification;
        if (s.dkim) id.dkimStatus = s.dkim;
        if (s.mailFrom && id.mailFrom) id.mailFrom.status = s.mailFrom;
        if (s.errorType !== undefined) id.errorType = s.errorType;
      }
    },
    close: server.close,
  };
}
