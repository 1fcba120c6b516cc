// npm run bench (second part): `verify --all` over 10, 100 and 1000 domains against the embedded DNS
// server — wall time, peak memory (max RSS of the CLI process), and how time grows with the count.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDns } from '../dist/embedded-server.cjs';

const mainJs = fileURLToPath(new URL('../dist/main.cjs', import.meta.url));
const COUNTS = (process.env.BENCH_VERIFY_COUNTS ?? '10,100,1000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-'));

function domainRecords(d) {
  return [
    { purpose: 'dkim', type: 'CNAME', name: `tok._domainkey.${d}`, value: 'tok.dkim.amazonses.com', priority: null, ttl: null, required: true, source: 'provider' },
    { purpose: 'mail-from-mx', type: 'MX', name: `bounce.${d}`, value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, ttl: null, required: true, source: 'provider' },
    { purpose: 'mail-from-spf', type: 'TXT', name: `bounce.${d}`, value: 'v=spf1 include:amazonses.com ~all', priority: null, ttl: null, required: true, source: 'provider' },
    { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${d}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' },
  ];
}

function zoneFor(n) {
  const records = [{ name: 'bench.test', type: 'SOA', data: { mname: 'ns.bench.test', rname: 'h.bench.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } }];
  for (let i = 0; i < n; i++) {
    const d = `m${i}.bench.test`;
    records.push(
      { name: `tok._domainkey.${d}`, type: 'CNAME', data: 'tok.dkim.amazonses.com' },
      { name: `bounce.${d}`, type: 'MX', data: { preference: 10, exchange: 'feedback-smtp.us-east-1.amazonses.com' } },
      { name: `bounce.${d}`, type: 'TXT', data: 'v=spf1 include:amazonses.com ~all' },
      { name: `_dmarc.${d}`, type: 'TXT', data: 'v=DMARC1; p=none' },
    );
  }
  return { records };
}

function stateFor(n) {
  const at = '2026-11-30T00:00:00.000Z';
  const domains = {};
  for (let i = 0; i < n; i++) {
    const d = `m${i}.bench.test`;
    domains[d] = { provider: 'ses', providerId: d, region: 'us-east-1', records: domainRecords(d), status: 'pending', createdAt: at, updatedAt: at, history: [] };
  }
  return JSON.stringify({ version: 1, domains });
}

// The CLI in a child that reports its own peak RSS when done (max resident set, KiB on Linux).
function runVerify(state, address) {
  const code = `import(${JSON.stringify(mainJs)}).then(async (m) => { const c = await m.main(['node', 'mailsetup', 'verify', '--all', '--no-provider', '--json', '--config', ${JSON.stringify(state)}, '--authoritative', ${JSON.stringify(address)}, '--resolver', ${JSON.stringify(address)}]); process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n'); process.exitCode = c; });`;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (status !== 0) return reject(new Error(`verify --all exited ${status}: ${err.slice(0, 500)}`));
      const docs = JSON.parse(out);
      const verified = docs.filter((d) => d.status === 'verified').length;
      resolve({ ms, rssMiB: Number(/MAXRSS (\d+)/.exec(err)?.[1] ?? 0) / 1024, verified, total: docs.length });
    });
  });
}

console.log('\nverify --all against the embedded DNS server (4 records per domain, no provider)\n');
console.log('domains   wall ms   ms/domain   peak RSS MiB   verified');
const rows = [];
for (const n of COUNTS) {
  const dns = await startEmbeddedDns(zoneFor(n));
  const state = join(dir, `state-${n}.json`);
  writeFileSync(state, stateFor(n));
  const r = await runVerify(state, dns.address);
  await dns.close();
  rows.push({ n, ...r });
  console.log(`${String(n).padStart(7)}   ${r.ms.toFixed(0).padStart(7)}   ${(r.ms / n).toFixed(2).padStart(9)}   ${r.rssMiB.toFixed(1).padStart(12)}   ${r.verified}/${r.total}`);
}
for (let i = 1; i < rows.length; i++) {
  const a = rows[i - 1];
  const b = rows[i];
  console.log(`${a.n} → ${b.n} domains (×${(b.n / a.n).toFixed(0)}): time ×${(b.ms / a.ms).toFixed(2)}, memory ×${(b.rssMiB / a.rssMiB).toFixed(2)}`);
}
rmSync(dir, { recursive: true, force: true });
