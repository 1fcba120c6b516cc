// npm run bench: start-up, `validate` and `validate --ip` (SPF evaluation through a 10-lookup include
// tree) cost as ratios over `node -e 0`, measured side by side (interleaved, same run), plus how many
// DNS questions `validate` sent vs how many distinct ones it needed. Medians of RUNS runs each, and
// the median of the per-round ratios (each case over the `node -e 0` run of the same round): this VM's
// speed drifts by a third between seconds, and a round takes half a second, so pairing cancels most
// of the drift. A target counts as met only when both figures meet it.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns } from '../dist/embedded-server.cjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const bin = fileURLToPath(new URL('../bin/mailsetup.cjs', import.meta.url));

const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const zone = {
  records: [
    { name: 'bench.example.test', type: 'TXT', data: 'v=spf1 include:_spf.bench.example.test include:sendgrid.net mx -all' },
    { name: '_spf.bench.example.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.0/24 include:_spf2.bench.example.test ~all' },
    { name: '_spf2.bench.example.test', type: 'TXT', data: 'v=spf1 a:relay.bench.example.test ~all' },
    { name: 'relay.bench.example.test', type: 'A', data: '192.0.2.10' },
    { name: 'sendgrid.net', type: 'TXT', data: 'v=spf1 ip4:167.89.0.0/17 ~all' },
    { name: 'bench.example.test', type: 'MX', data: { preference: 10, exchange: 'mx1.bench.example.test' } },
    { name: 'mx1.bench.example.test', type: 'A', data: '192.0.2.25' },
    { name: '_dmarc.bench.example.test', type: 'TXT', data: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@bench.example.test' },
    { name: 's1._domainkey.bench.example.test', type: 'TXT', data: `v=DKIM1; k=rsa; p=${p}` },
    // validate --ip: an include tree where the client (192.0.2.55) matches only at the 10th
    // DNS-querying term, so check_host() walks the whole limit: 3 levels, a void exists, a/mx.
    { name: 'tree.example.test', type: 'TXT', data: 'v=spf1 include:l1.tree.example.test include:l2.tree.example.test mx -all' },
    { name: 'l1.tree.example.test', type: 'TXT', data: 'v=spf1 include:l11.tree.example.test a:h1.tree.example.test exists:%{ir}.bl.tree.example.test ~all' },
    { name: 'l11.tree.example.test', type: 'TXT', data: 'v=spf1 a:h2.tree.example.test a:h3.tree.example.test ?all' },
    { name: 'l2.tree.example.test', type: 'TXT', data: 'v=spf1 a:h4.tree.example.test include:l21.tree.example.test' },
    { name: 'l21.tree.example.test', type: 'TXT', data: 'v=spf1 ip4:198.51.100.0/24 a:h5.tree.example.test -all' },
    ...[1, 2, 3, 4].map((i) => ({ name: `h${i}.tree.example.test`, type: 'A', data: `192.0.2.${i}` })),
    { name: 'h5.tree.example.test', type: 'A', data: '192.0.2.55' },
    { name: 'tree.example.test', type: 'MX', data: { preference: 10, exchange: 'h1.tree.example.test' } },
  ],
};
const dns = await startEmbeddedDns(zone);

const cases = [
  { label: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
  { label: 'mailsetup --help', cmd: process.execPath, args: [bin, '--help'] },
  { label: 'mailsetup validate --selector s1', cmd: process.execPath, args: [bin, 'validate', 'bench.example.test', '--selector', 's1', '--resolver', dns.address] },
  { label: 'validate --ip (10-lookup include tree)', cmd: process.execPath, args: [bin, 'validate', 'tree.example.test', '--selector', 's1', '--ip', '192.0.2.55', '--resolver', dns.address] },
];

// Asynchronous spawn: the embedded DNS server lives in this process and must keep answering.
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function timeOnce(c) {
  const t0 = process.hrtime.bigint();
  const r = await run(c.cmd, c.args);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
  return ms;
}

// One warm-up each, then interleave so machine noise hits every case alike.
for (const c of cases) await timeOnce(c);
const samples = cases.map(() => []);
for (let i = 0; i < RUNS; i++) for (const [j, c] of cases.entries()) samples[j].push(await timeOnce(c));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const base = median(samples[0]);

console.log(`\nmailsetup bench — ${RUNS} interleaved rounds (node ${process.version})\n`);
if (process.env.NODE_EXTRA_CA_CERTS) {
  // Node parses these certificates at start-up, before any script runs: they are part of every
  // figure below, node -e 0 included, so the ratios are smaller than on a machine without them.
  console.log(`note: NODE_EXTRA_CA_CERTS is set; Node parses ${process.env.NODE_EXTRA_CA_CERTS} at every start, so node -e 0 includes it.`);
  console.log('      The "+ms" column (median over node -e 0) does not depend on it.\n');
}
console.log('case                                   median ms      +ms   ratio of medians   median of paired ratios   target');
const targets = [null, 1.2, 1.8, 1.8];
cases.forEach((c, j) => {
  const m = median(samples[j]);
  const ratio = m / base;
  const paired = median(samples[j].map((ms, i) => ms / samples[0][i]));
  const t = targets[j];
  const mark = t === null ? '' : Math.max(ratio, paired) <= t ? `≤ ${t}× ok` : `≤ ${t}× MISSED`;
  console.log(`${c.label.padEnd(38)} ${m.toFixed(1).padStart(9)}   ${j === 0 ? '      ' : `+${(m - base).toFixed(1)}`.padStart(6)}   ${ratio.toFixed(2).padStart(14)}×   ${j === 0 ? '' : `${paired.toFixed(2).padStart(22)}×`}   ${mark}`);
});

// DNS questions: one fresh validate run, count what reached the server vs distinct questions.
dns.queries.length = 0;
const r = await run(process.execPath, [bin, 'validate', 'bench.example.test', '--selector', 's1', '--resolver', dns.address, '--json']);
const report = JSON.parse(r.stdout);
const distinct = new Set(dns.queries.map((q) => `${q.name}|${q.type}`)).size;
const received = dns.queries.filter((q) => q.transport === 'udp').length;
console.log(`\nDNS questions for one validate: ${received} sent, ${distinct} distinct needed → ratio ${(received / distinct).toFixed(2)} (target 1.00)`);
console.log(`validate verdicts: ${report.checks.map((c) => `${c.check}=${c.status}`).join(' ')}`);
// The evaluation case must really walk 10 lookups to a pass, or its figure means nothing.
const ev = JSON.parse((await run(process.execPath, [bin, 'validate', 'tree.example.test', '--selector', 's1', '--ip', '192.0.2.55', '--resolver', dns.address, '--json'])).stdout).spf;
console.log(`validate --ip: ${ev.result} after ${ev.lookups}/10 lookups, ${ev.voidLookups}/2 void, ${ev.trace.length} trace steps${ev.result === 'pass' && ev.lookups === 10 ? '' : '  UNEXPECTED'}`);

// JavaScript loaded at start-up: the dist/ files one --help run and one validate run read (recorded by a
// preload that watches fs.readFileSync, which Node's CommonJS loader uses) and their size. Loading
// and compiling it is most of the start-up cost beyond node's own; a module only some runs need
// belongs behind a dynamic import() (see DESIGN.md "Performance"), and the chunks a hot command
// loads at start are packed into its own file (scripts/pack-chunks.mjs).
{
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-'));
  const watch = join(dir, 'watch-reads.cjs');
  writeFileSync(watch, `const fs = require('node:fs'); const read = fs.readFileSync; const seen = new Set();
fs.readFileSync = function (p, ...rest) { if (typeof p === 'string' && /[\\/]dist[\\/][^\\/]+\\.cjs$/.test(p)) seen.add(p); return read.call(this, p, ...rest); };
process.on('exit', () => { let bytes = 0; for (const p of seen) bytes += fs.statSync(p).size; process.stderr.write('\\nREAD ' + seen.size + ' ' + bytes + '\\n'); });
`);
  const reads = async (args) => {
    const m = /\nREAD (\d+) (\d+)\n/.exec((await run(process.execPath, ['-r', watch, bin, ...args])).stderr);
    if (!m) throw new Error(`bench: no READ line from ${args.join(' ')}`);
    return { files: Number(m[1]), kb: Number(m[2]) / 1024 };
  };
  const help = await reads(['--help']);
  const validate = await reads(['validate', 'bench.example.test', '--selector', 's1', '--resolver', dns.address]);
  rmSync(dir, { recursive: true, force: true });
  console.log(`\nJS loaded at start-up: --help ${help.kb.toFixed(0)} KB in ${help.files} files; validate ${validate.kb.toFixed(0)} KB in ${validate.files} files (dist/ files read by one run)`);
}

// Wall time on a shared 2-core VM swings with its neighbours; instruction counts do not. When
// valgrind is installed (every machine of this kind has it), count the instructions of the same
// runs with callgrind and print those ratios too. BENCH_INSTRUCTIONS=0 skips it (about a minute).
if (process.env.BENCH_INSTRUCTIONS !== '0' && existsSync('/usr/bin/valgrind')) {
  const count = async (args) => {
    const r = await run('/usr/bin/valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...args]);
    return Number(/Collected : (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  };
  const baseI = await count(['-e', '0']);
  console.log('\ninstructions (valgrind callgrind; deterministic)   ratio vs node -e 0   target');
  const rows = [
    ['mailsetup --help', [bin, '--help'], 1.2],
    ['mailsetup validate --selector s1', [bin, 'validate', 'bench.example.test', '--selector', 's1', '--resolver', dns.address, '--timeout', '60s'], 1.8],
  ];
  console.log(`${'node -e 0'.padEnd(38)} ${(baseI / 1e6).toFixed(1).padStart(9)}M   ${'1.00'.padStart(10)}×`);
  for (const [label, args, target] of rows) {
    const n = await count(args);
    const ratio = n / baseI;
    console.log(`${label.padEnd(38)} ${(n / 1e6).toFixed(1).padStart(9)}M   ${ratio.toFixed(2).padStart(10)}×          ${ratio <= target ? `≤ ${target}× ok` : `≤ ${target}× MISSED`}`);
  }
}
await dns.close();
