/**
 * SES delivery figures for `health` (reputation.md §1): the account verdict from `GetAccount`, the
 * identity's daily counts from VDM `BatchGetMetricData` when VDM is enabled, and otherwise the
 * account-wide CloudWatch `AWS/SES` counts and `Reputation.*` gauges (`@aws-sdk/client-cloudwatch`,
 * imported only here, only when needed). `GetAccount` and the CloudWatch fallback are account-wide,
 * so each is asked once per adapter (one adapter per region in a run), whatever the domain count.
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { MailsetupError, redact } from '../../errors.js';
import { awsCaller } from '../../remote/aws-call.js';
import { awsClientConfig, esmOrDefault, quietAwsSdk, resolveAwsEndpoint } from '../../remote/aws-env.js';
import { AwsTimeoutError, THROTTLE_ERRORS, awsAccessError, awsShape, awsTransportError, classifyAwsError, firstLine, retryAfterMs } from '../../remote/aws-errors.js';
import type { AwsService } from '../../remote/aws-errors.js';
import type { DailyFigures, DeliveryNotice, DeliveryReport, DeliveryWindow, ProviderContext, ProviderVerdict } from '../types.js';
import { resolveEndpoint, resolveRegion } from './api.js';
import { SesTimeoutError } from './errors.js';
import { windowDates } from '../window.js';

class CloudWatchTimeoutError extends AwsTimeoutError {
  constructor(operation: string, timeoutMs: number) {
    super('CloudWatch', operation, timeoutMs);
    this.name = 'CloudWatchTimeoutError';
  }
}

const REJECTED = 'Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE), and that they belong to the right account and region.';

/** Retry-After, else SES's own x-amz-retry-after (milliseconds). */
function sesWait(e: unknown): number | null {
  const standard = retryAfterMs(e);
  if (standard !== null) return standard;
  const ms = Number(awsShape(e).$response?.headers?.['x-amz-retry-after']);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

const SES_HEALTH: AwsService = {
  name: 'SES', TimeoutError: SesTimeoutError, throttles: THROTTLE_ERRORS, retryAfterMs: sesWait,
  deniedHint: 'Grant the IAM identity ses:GetAccount (and ses:BatchGetMetricData for per-domain figures).',
  rejectedHint: REJECTED, throttledHint: 'Wait a minute and run the command again.', endpointVar: 'AWS_ENDPOINT_URL_SESV2',
};
const CLOUDWATCH: AwsService = {
  name: 'CloudWatch', TimeoutError: CloudWatchTimeoutError, throttles: THROTTLE_ERRORS, retryAfterMs,
  deniedHint: 'Grant the IAM identity cloudwatch:GetMetricData.',
  rejectedHint: REJECTED, throttledHint: 'Wait a minute and run the command again.', endpointVar: 'AWS_ENDPOINT_URL_CLOUDWATCH',
};

function toError(svc: AwsService) {
  return (e: unknown, operation: string, env: NodeJS.ProcessEnv): MailsetupError => {
    if (e instanceof MailsetupError) return e;
    const name = awsShape(e).name ?? 'Error';
    const said = redact(firstLine(e) || name, env);
    return awsAccessError(e, operation, said, svc) ?? awsTransportError(e, operation, said, svc)
      ?? new MailsetupError('PROVIDER_UNAVAILABLE', `${svc.name} ${operation} failed: ${name}: ${said}`, { hint: 'Try again later.' });
  };
}

type Field = 'sent' | 'delivered' | 'bounces' | 'complaints' | 'complaintBase';

/** Daily series from per-metric timestamps/values; a metric that failed is null on every day. */
function series(dates: string[], metrics: Partial<Record<Field, { timestamps: Date[]; values: number[] } | null>>, fields: Field[]): DailyFigures[] {
  return dates.map((date) => {
    const day: DailyFigures = { date, sent: null, delivered: null, bounces: null, complaints: null };
    for (const f of fields) {
      const m = metrics[f];
      if (m === undefined) continue;
      if (m === null) { day[f] = null; continue; }
      let sum = 0;
      m.timestamps.forEach((t, i) => { if (new Date(t).toISOString().slice(0, 10) === date) sum += Number(m.values[i] ?? 0); });
      day[f] = sum;
    }
    return day;
  });
}

const VDM_METRICS: Array<[Field, string]> = [['sent', 'SEND'], ['delivered', 'DELIVERY'], ['bounces', 'PERMANENT_BOUNCE'], ['complaints', 'COMPLAINT'], ['complaintBase', 'DELIVERY_COMPLAINT']];
const CW_COUNTS: Array<[Field, string]> = [['sent', 'Send'], ['delivered', 'Delivery'], ['bounces', 'Bounce'], ['complaints', 'Complaint']];

interface AccountView {
  verdict: ProviderVerdict;
  vdmEnabled: boolean;
}

export interface SesDelivery {
  figures(identity: string, window: DeliveryWindow): Promise<DeliveryReport>;
}

export function createSesDelivery(ctx: ProviderContext): SesDelivery {
  const region = resolveRegion(ctx);
  let ses: Promise<{ sdk: typeof import('@aws-sdk/client-sesv2'); client: SESv2Client }> | undefined;
  let cw: Promise<{ sdk: typeof import('@aws-sdk/client-cloudwatch'); client: CloudWatchClient }> | undefined;
  const sesCall = awsCaller(ctx, { service: 'SES', TimeoutError: SesTimeoutError, classify: (e) => classifyAwsError(e, SES_HEALTH), toError: toError(SES_HEALTH) });
  const cwCall = awsCaller(ctx, { service: 'CloudWatch', TimeoutError: CloudWatchTimeoutError, classify: (e) => classifyAwsError(e, CLOUDWATCH), toError: toError(CLOUDWATCH) });

  const sesClient = () => (ses ??= (async () => {
    quietAwsSdk();
    const sdk = esmOrDefault(await import('@aws-sdk/client-sesv2'), 'SESv2Client');
    return { sdk, client: new sdk.SESv2Client(awsClientConfig(ctx.env, region, resolveEndpoint(ctx.env), ctx.timeoutMs)) };
  })());
  const cwClient = () => (cw ??= (async () => {
    quietAwsSdk();
    const sdk = esmOrDefault(await import('@aws-sdk/client-cloudwatch'), 'CloudWatchClient');
    const endpoint = resolveAwsEndpoint(ctx.env, 'AWS_ENDPOINT_URL_CLOUDWATCH');
    return { sdk, client: new sdk.CloudWatchClient(awsClientConfig(ctx.env, region, endpoint, ctx.timeoutMs)) };
  })());

  let account: Promise<AccountView> | undefined;
  const readAccount = () => (account ??= (async () => {
    const { sdk, client } = await sesClient();
    const a = await sesCall('GetAccount', (abortSignal) => client.send(new sdk.GetAccountCommand({}), { abortSignal }));
    const enforcement = typeof a.EnforcementStatus === 'string' ? a.EnforcementStatus : null;
    const restrictions: string[] = [];
    if (enforcement && enforcement.toUpperCase() !== 'HEALTHY') {
      const word = enforcement.toUpperCase() === 'PROBATION' ? ' (under review)' : enforcement.toUpperCase() === 'SHUTDOWN' ? ' (sending paused)' : '';
      restrictions.push(`SES account status in ${region} is ${enforcement}${word}`);
    }
    if (a.SendingEnabled === false) restrictions.push(`SES sending is disabled for the account in ${region} (SendingEnabled false)`);
    const q = a.SendQuota;
    return {
      vdmEnabled: a.VdmAttributes?.VdmEnabled === 'ENABLED',
      verdict: {
        restriction: restrictions.length ? `${restrictions.join('; ')}.` : null,
        sandbox: typeof a.ProductionAccessEnabled === 'boolean' ? !a.ProductionAccessEnabled : null,
        reputation: null,
        fields: {
          region, enforcementStatus: enforcement, sendingEnabled: a.SendingEnabled ?? null, productionAccessEnabled: a.ProductionAccessEnabled ?? null,
          sendQuota: q ? { max24HourSend: q.Max24HourSend ?? null, maxSendRate: q.MaxSendRate ?? null, sentLast24Hours: q.SentLast24Hours ?? null } : null,
          vdmEnabled: a.VdmAttributes?.VdmEnabled ?? null,
        },
      },
    };
  })());

  /** Per identity, through VDM; null (with a notice) when VDM cannot answer. */
  async function vdm(identity: string, w: DeliveryWindow, notices: DeliveryNotice[]): Promise<DailyFigures[] | null> {
    const { sdk, client } = await sesClient();
    let out;
    try {
      out = await sesCall('BatchGetMetricData', (abortSignal) => client.send(new sdk.BatchGetMetricDataCommand({
        Queries: VDM_METRICS.map(([field, metric]) => ({
          Id: field, Namespace: 'VDM', Metric: metric as never, Dimensions: { EMAIL_IDENTITY: identity }, StartDate: w.from, EndDate: w.to,
        })),
      }), { abortSignal }));
    } catch (e) {
      // Denied by IAM, or refused because VDM is off (its error shape is unverified): fall back.
      if (e instanceof MailsetupError && (e.code === 'PROVIDER_AUTH' || e.code === 'DOMAIN_INVALID' || e.code === 'PROVIDER_UNAVAILABLE' && /BadRequest|NotFound/.test(e.message))) {
        notices.push({ code: 'VDM_UNAVAILABLE', severity: 'info', message: `SES refused the per-identity VDM query (${e.message}); using the account-wide CloudWatch figures.`, hint: 'Grant ses:BatchGetMetricData and enable Virtual Deliverability Manager for per-identity figures.' });
        return null;
      }
      throw e;
    }
    const results = new Map((out.Results ?? []).map((r) => [r.Id, { timestamps: (r.Timestamps ?? []) as Date[], values: (r.Values ?? []).map(Number) }]));
    const errors = out.Errors ?? [];
    if (errors.length > 0 && errors.every((er) => er.Code === 'ACCESS_DENIED')) {
      notices.push({ code: 'VDM_UNAVAILABLE', severity: 'info', message: 'SES denied every per-identity VDM metric (ACCESS_DENIED); using the account-wide CloudWatch figures.', hint: 'Grant ses:BatchGetMetricData and check that VDM is enabled.' });
      return null;
    }
    const metrics: Partial<Record<Field, { timestamps: Date[]; values: number[] } | null>> = {};
    for (const [field] of VDM_METRICS) metrics[field] = results.get(field) ?? null;
    for (const er of errors) {
      notices.push({ code: 'FIGURE_PARTIAL', severity: 'warning', message: `SES could not give the ${VDM_METRICS.find(([f]) => f === er.Id)?.[1] ?? 'a'} metric for ${identity} (${er.Code ?? 'error'}): it is shown as null.`, hint: 'Run again later; SES reported an internal failure for that metric.' });
    }
    return series(windowDates(w), metrics, VDM_METRICS.map(([f]) => f));
  }

  /** The account-wide CloudWatch counts and gauges, once per window. */
  const cloudwatch = new Map<string, Promise<{ daily: DailyFigures[] | null; gauges: DeliveryReport['gauges']; notices: DeliveryNotice[] }>>();
  function accountWide(w: DeliveryWindow) {
    const key = `${w.from.toISOString()}|${w.to.toISOString()}`;
    let p = cloudwatch.get(key);
    if (!p) {
      p = (async () => {
        const { sdk, client } = await cwClient();
        const notices: DeliveryNotice[] = [];
        const metric = (name: string, stat: string) => ({ Metric: { Namespace: 'AWS/SES', MetricName: name }, Period: 86400, Stat: stat });
        let out;
        try {
          out = await cwCall('GetMetricData', (abortSignal) => client.send(new sdk.GetMetricDataCommand({
            StartTime: w.from, EndTime: w.to,
            MetricDataQueries: [
              ...CW_COUNTS.map(([field, name]) => ({ Id: field, MetricStat: metric(name, 'Sum'), ReturnData: true })),
              { Id: 'bounceRate', MetricStat: metric('Reputation.BounceRate', 'Maximum'), ReturnData: true },
              { Id: 'complaintRate', MetricStat: metric('Reputation.ComplaintRate', 'Maximum'), ReturnData: true },
            ],
          }), { abortSignal }));
        } catch (e) {
          if (e instanceof MailsetupError && e.code === 'PROVIDER_AUTH') {
            notices.push({ code: 'FIGURES_FORBIDDEN', severity: 'warning', message: `CloudWatch refused the SES metrics: ${e.message}.`, hint: e.hint ?? CLOUDWATCH.deniedHint });
            return { daily: null, gauges: null, notices };
          }
          throw e;
        }
        const byId = new Map((out.MetricDataResults ?? []).map((r) => [r.Id, r]));
        const usable = (id: string) => {
          const r = byId.get(id);
          if (!r || r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError') return null;
          return { timestamps: (r.Timestamps ?? []) as Date[], values: (r.Values ?? []).map(Number) };
        };
        const metrics: Partial<Record<Field, { timestamps: Date[]; values: number[] } | null>> = {};
        for (const [field] of CW_COUNTS) metrics[field] = usable(field);
        /** The newest point of a gauge; null when CloudWatch has none (no bounce or complaint yet). */
        const latest = (id: string): number | null => {
          const r = usable(id);
          if (!r || r.values.length === 0) return null;
          let best = 0;
          r.timestamps.forEach((t, i) => { if (new Date(t).getTime() > new Date(r.timestamps[best]!).getTime()) best = i; });
          const v = r.values[best];
          return typeof v === 'number' && Number.isFinite(v) ? v : null;
        };
        return { daily: series(windowDates(w), metrics, CW_COUNTS.map(([f]) => f)), gauges: { bounceRate: latest('bounceRate'), complaintRate: latest('complaintRate') }, notices };
      })();
      cloudwatch.set(key, p);
    }
    return p;
  }

  return {
    async figures(identity, w) {
      const acct = await readAccount();
      const notices: DeliveryNotice[] = [];
      if (acct.vdmEnabled) {
        const daily = await vdm(identity, w, notices);
        if (daily) return { scope: 'domain', source: 'SES VDM BatchGetMetricData', daily, gauges: null, verdict: acct.verdict, notices };
      } else {
        notices.push({
          code: 'VDM_DISABLED', severity: 'info',
          message: `Virtual Deliverability Manager is off in ${region}: SES has no per-identity figures, so the account-wide CloudWatch figures are shown.`,
          hint: 'Enable VDM (aws sesv2 put-account-vdm-attributes --vdm-attributes VdmEnabled=ENABLED; it is billed) for figures per domain.',
        });
      }
      const fallback = await accountWide(w);
      return { scope: 'account', source: 'CloudWatch AWS/SES', daily: fallback.daily, gauges: fallback.gauges, verdict: acct.verdict, notices: [...notices, ...fallback.notices] };
    },
  };
}
