/**
 * The zone-file host (the demo's in-memory DNS host) passes the same writer contract as the API
 * hosts: it lists every type, refuses a stale plan as HOST_CONFLICT, and applies all or nothing.
 */
import { createZonefileHost, type ZonefileHost } from '../../src/dns-hosts/zonefile/index.js';
import { runDnsHostContract } from '../contract/dns-host.js';

const hosts: ZonefileHost[] = [];
const host = (): ZonefileHost => {
  if (!hosts[0]) hosts.push(createZonefileHost({ zone: 'zonefile.test', onChange: () => {} }));
  return hosts[0]!;
};

runDnsHostContract({
  id: 'zonefile',
  makeWriter: async () => host().writer,
  makeHarness: async () => ({
    env: {}, zone: 'zonefile.test', credentialEnv: [],
    seed: async (r) => host().seed(r),
    records: async () => host().records(),
    close: async () => { host().stop(); },
  }),
});
