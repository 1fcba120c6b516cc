// npm run bench (third part): `reports` over the 888 KiB real report (2,286 records) and over 1,000
// generated reports (a month of 33 reporters × 30 days, written as zip, gzip and plain XML) — wall
// time, peak memory (max RSS of the CLI process), beside `node -e 0` and `mailsetup --help`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const mainJs = fileURLToPath(new URL('../dist/main.cjs', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS_REPORTS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-reports-'));
const large = fileURLToPath(new URL('../test/fixtures/dmarc-reports/parsedmarc/aggregate/!large-example.com!1711897200!1711983600.xml', import.meta.url));

// The test helpers' generator, bundled on the fly (it is TypeScript).
const gen = await build({ entryPoints: [fileURLToPath(new URL('../test/helpers/dmarc-reports.ts', import.meta.url))], bundle: true, write: false, format: 'esm', platform: 'node' });
const { generateReports } = await import(`data:text/javascript;base64,${Buffer.from(gen.outputFiles[0].text).toString('base64')}`);
const { zipSync } = await import('fflate');

const reporters = Array.from({ length: 33 }, (_, i) => ({ org: `reporter${i}.example`, email: `dmarc@reporter${i}.example` }));
const sources = [
  { ip: '54.240.8.12', perDay: 3300, dkim: [{ domain: 'acme.test', selector: 'abcdefghijklmnopqrstuvwxyz012345', result: 'pass' }], spf: { domain: 'amazonses.com', result: 'pass' }, envelopeFrom: 'amazonses.com' },
  { ip: '209.85.220.41', perDay: 660, dkim: [{ domain: 'acme.test', selector: 'google', result: 'pass' }], spf: { domain: 'acme.test', result: 'pass' }, envelopeFrom: 'acme.test' },
  ...Array.from({ length: 40 }, (_, i) => ({ ip: `203.0.${i}.9`, perDay: 33, spf: { domain: 'acme.test', result: 'fail' }, envelopeFrom: 'acme.test' })),
];
const reports = generateReports({ domain: 'acme.test', lastDay: '2026-12-05', days: 31, reporters, sources }).slice(0, 1000);
const month = join(dir, 'month');
const { mkdirSync } = await import('node:fs');
mkdirSync(month);
reports.forEach((r, i) => {
  const name = join(month, `${i}-${r.name.replace(/!/g, '_')}`);
  if (i % 3 === 0) writeFileSync(`${name}.zip`, zipSync({ [r.name]: new TextEncoder().encode(r.xml) }));
  else if (i % 3 === 1) writeFileSync(`${name}.gz`, gzipSync(r.xml));
  else writeFileSync(name, r.xml);
});

function run(args) {
  const code = `import(${JSON.stringify(mainJs)}).then(async (m) => { const c = await m.main(['node', 'mailsetup', ...${JSON.stringify(args)}]); process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n'); process.exitCode = c; });`;
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (status) => resolve({ status, out, err, ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMiB: Number(/MAXRSS (\d+)/.exec(err)?.[1] ?? 0) / 1024 }));
  });
}
const base = (args) => ['reports', ...args, '--no-dns', '--json', '--config', join(dir, 'none.json')];
const cases = [
  { label: 'mailsetup --help', args: ['--help'] },
  { label: 'reports: 888 KiB real report', args: base([large, '--since', '5000d', '--to', '2026-12-06']) },
  { label: 'reports: 1,000 generated (zip/gz/xml)', args: base([month, '--to', '2026-12-06T06:00:00Z']) },
];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const samples = cases.map(() => ({ ms: [], rss: [], last: null }));
for (const c of cases) await run(c.args); // warm-up
for (let i = 0; i < RUNS; i++) {
  for (const [j, c] of cases.entries()) {
    const r = await run(c.args);
    if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.err.slice(0, 500)}`);
    samples[j].ms.push(r.ms);
    samples[j].rss.push(r.rssMiB);
    samples[j].last = r;
  }
}
console.log(`\nreports bench — medians of ${RUNS} interleaved runs\n`);
console.log('case                                      median ms   ratio vs --help   max RSS MiB');
const baseMs = median(samples[0].ms);
cases.forEach((c, j) => console.log(`${c.label.padEnd(40)} ${median(samples[j].ms).toFixed(0).padStart(9)}   ${(median(samples[j].ms) / baseMs).toFixed(2).padStart(12)}×   ${median(samples[j].rss).toFixed(1).padStart(10)}`));
const big = JSON.parse(samples[1].last.out).domains[0];
const gen1000 = JSON.parse(samples[2].last.out);
console.log(`\n888 KiB report: ${big.totals.messages} messages, ${big.sources.length} sources; 1,000 reports: ${gen1000.inputs.reports} read, ${gen1000.domains[0].totals.messages} messages, verdict ${gen1000.domains[0].readiness.verdict}`);
rmSync(dir, { recursive: true, force: true });
