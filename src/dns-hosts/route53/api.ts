/**
 * The only file that talks to `@aws-sdk/client-route-53` (registrars.md §2). Region, credentials
 * and endpoint (AWS_ENDPOINT_URL_ROUTE_53) come from `ctx.env` through the shared AWS helper and
 * are passed in explicitly. Retries are ours (`awsCaller`, `maxAttempts: 1`), each attempt with its own deadline.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { awsCaller } from '../../remote/aws-call.js';
import { awsClientConfig, esmOrDefault, quietAwsSdk, regionFromConfig, resolveAwsEndpoint } from '../../remote/aws-env.js';
import type { HostContext } from '../types.js';
import type { R53RRset, RRsetWrite } from './convert.js';
import { fromWireName, toWireName } from './convert.js';
import { classifyRoute53Error, Route53TimeoutError, toMailsetupError } from './errors.js';

type Sdk = typeof import('@aws-sdk/client-route-53');
let sdkPromise: Promise<Sdk> | undefined;

function loadSdk(): Promise<Sdk> {
  quietAwsSdk();
  return (sdkPromise ??= import('@aws-sdk/client-route-53').then((m) => esmOrDefault(m, 'Route53Client')));
}

export interface R53Zone { id: string; name: string; private: boolean }

export interface Route53Api {
  /** Hosted zones named exactly `name`. */
  zonesNamed(name: string): Promise<R53Zone[]>;
  /** Every RRset at `name` (all types). */
  rrsetsAt(zoneId: string, name: string): Promise<R53RRset[]>;
  /** One atomic ChangeBatch; the change id and its status. */
  change(zoneId: string, writes: RRsetWrite[]): Promise<{ id: string; status: string }>;
  changeStatus(id: string): Promise<string>;
}

const PAGE = 100;
const MAX_PAGES = 20;

export async function createRoute53Api(ctx: HostContext): Promise<Route53Api> {
  // Route 53 is global (signed for us-east-1); the region only picks the partition.
  const region = ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || regionFromConfig(ctx.env) || 'us-east-1';
  const endpoint = resolveAwsEndpoint(ctx.env, 'AWS_ENDPOINT_URL_ROUTE_53');
  const sdk = await loadSdk();
  const client: Route53Client = new sdk.Route53Client(awsClientConfig(ctx.env, region, endpoint, ctx.timeoutMs));
  const call = awsCaller(ctx, { service: 'Route 53', TimeoutError: Route53TimeoutError, classify: classifyRoute53Error, toError: toMailsetupError });

  return {
    async zonesNamed(name) {
      const out = await call('ListHostedZonesByName', (abortSignal) =>
        client.send(new sdk.ListHostedZonesByNameCommand({ DNSName: toWireName(name), MaxItems: PAGE }), { abortSignal }));
      // The listing starts at `name` and runs on into later zones: keep exact matches only.
      return (out.HostedZones ?? [])
        .filter((z) => z.Id && z.Name && fromWireName(z.Name) === name)
        .map((z) => ({ id: z.Id!.replace(/^\/hostedzone\//, ''), name, private: z.Config?.PrivateZone === true }));
    },
    async rrsetsAt(zoneId, name) {
      const found: R53RRset[] = [];
      let start: { name: string; type?: string; id?: string } = { name: toWireName(name) };
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await call('ListResourceRecordSets', (abortSignal) => client.send(new sdk.ListResourceRecordSetsCommand({
          HostedZoneId: zoneId, StartRecordName: start.name, MaxItems: PAGE,
          ...(start.type ? { StartRecordType: start.type as never } : {}),
          ...(start.id ? { StartRecordIdentifier: start.id } : {}),
        }), { abortSignal }));
        // A start position, not a filter: sets of later names follow ours, so stop at the first.
        let passed = false;
        for (const rs of out.ResourceRecordSets ?? []) {
          if (!rs.Name || !rs.Type) continue;
          if (fromWireName(rs.Name) !== name) { passed = true; break; }
          found.push({
            name, type: rs.Type, ttl: rs.TTL ?? null, values: (rs.ResourceRecords ?? []).map((r) => r.Value ?? ''),
            ...(rs.AliasTarget?.DNSName ? { alias: rs.AliasTarget.DNSName } : {}),
            ...(rs.SetIdentifier ? { setIdentifier: rs.SetIdentifier } : {}),
          });
        }
        if (passed || !out.IsTruncated || !out.NextRecordName || fromWireName(out.NextRecordName) !== name) return found;
        start = { name: out.NextRecordName, ...(out.NextRecordType ? { type: out.NextRecordType } : {}), ...(out.NextRecordIdentifier ? { id: out.NextRecordIdentifier } : {}) };
      }
      return found;
    },
    async change(zoneId, writes) {
      const out = await call('ChangeResourceRecordSets', (abortSignal) => client.send(new sdk.ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'mailsetup',
          // REPLACE is DELETE (exactly the set as read) then CREATE: the batch fails if the set changed meanwhile.
          Changes: writes.flatMap((w) => [
            ...(w.old ? [{ Action: 'DELETE' as const, ResourceRecordSet: { Name: toWireName(w.name), Type: w.type as never, TTL: w.old.ttl, ResourceRecords: w.old.values.map((Value) => ({ Value })) } }] : []),
            { Action: 'CREATE' as const, ResourceRecordSet: { Name: toWireName(w.name), Type: w.type as never, TTL: w.ttl, ResourceRecords: w.values.map((Value) => ({ Value })) } },
          ]),
        },
      }), { abortSignal }));
      return { id: out.ChangeInfo?.Id ?? '', status: out.ChangeInfo?.Status ?? 'PENDING' };
    },
    async changeStatus(id) {
      const out = await call('GetChange', (abortSignal) => client.send(new sdk.GetChangeCommand({ Id: id }), { abortSignal }));
      return out.ChangeInfo?.Status ?? 'PENDING';
    },
  };
}
