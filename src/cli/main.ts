/**
 * Entry point: builds the commander program, runs the chosen command, and is the only place that
 * turns errors into output and exit statuses. Command modules are imported only when their command
 * runs, so `--help` loads commander and nothing else.
 */
import { Command, CommanderError, InvalidArgumentError, Option, type OutputConfiguration } from 'commander';
import { MailsetupError, EXIT } from '../errors.js';
import { parseServer } from '../dns/server-address.js';
import { parseDuration } from '../util/duration.js';
import type { GlobalOptions } from './context.js';
import { abortOnInterrupt, Interrupted, INTERRUPTED_EXIT, sayAborted } from './interrupt.js';
import { guardStdio, plainFd, writeDirect } from './stdio.js';
import { isIP } from '../util/ip.js';

export const VERSION = '0.1.0';

export type Handler = (args: string[], options: Record<string, unknown>, globals: GlobalOptions) => Promise<number>;
export interface Handlers {
  validate: () => Promise<Handler>;
  add: () => Promise<Handler>;
  records: () => Promise<Handler>;
  list: () => Promise<Handler>;
  remove: () => Promise<Handler>;
  verify: () => Promise<Handler>;
  watch: () => Promise<Handler>;
  autoconfig: () => Promise<Handler>;
  demo: () => Promise<Handler>;
  init: () => Promise<Handler>;
  completion: () => Promise<Handler>;
  health: () => Promise<Handler>;
  warmup: () => Promise<Handler>;
  reports: () => Promise<Handler>;
}

const defaultHandlers: Handlers = {
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  add: async () => (await import('./commands/add.js')).addCommand,
  records: async () => (await import('./commands/records.js')).recordsCommand,
  list: async () => (await import('./commands/list.js')).listCommand,
  remove: async () => (await import('./commands/remove.js')).removeCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  watch: async () => (await import('./commands/watch.js')).watchCommand,
  autoconfig: async () => (await import('./commands/autoconfig.js')).autoconfigCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  completion: async () => (await import('./commands/completion.js')).completionCommand,
  health: async () => (await import('./commands/health.js')).healthCommand,
  warmup: async () => (await import('./commands/warmup.js')).warmupCommand,
  reports: async () => (await import('./commands/reports.js')).reportsCommand,
};

/** Examples shown under each command's --help: the two or three invocations people look for first. */
const EXAMPLES: Record<string, string[]> = {
  validate: [
    'mailsetup validate acme.com',
    'mailsetup validate jane@mail.acme.com --ip 192.0.2.1 --json',
    'mailsetup validate acme.com --selector s1 --exit-code',
    'mailsetup validate --file domains.txt --format csv > audit.csv',
  ],
  add: [
    'mailsetup add mail.acme.com --provider ses --region eu-west-1',
    'mailsetup add mail.acme.com --provider sendgrid --dmarc quarantine',
    'mailsetup add jane@acme.com --provider ses          # one sender address',
  ],
  records: [
    'mailsetup records mail.acme.com',
    'mailsetup records mail.acme.com --format zone >> db.acme.com',
    'mailsetup records mail.acme.com --for cloudflare',
  ],
  verify: [
    'mailsetup verify mail.acme.com',
    'mailsetup verify --all --no-provider --exit-code    # CI gate: 0 verified, 1 pending, 2 failed, 69 unknown',
  ],
  watch: [
    'mailsetup watch mail.acme.com',
    'mailsetup watch mail.acme.com --interval 10s --timeout 15m --no-provider',
  ],
  autoconfig: [
    'mailsetup autoconfig mail.acme.com --dry-run',
    'mailsetup autoconfig mail.acme.com --yes --watch',
    'MAILSETUP_TSIG_KEY=hmac-sha256:k:… mailsetup autoconfig mail.acme.com --dns rfc2136',
  ],
  list: ['mailsetup list', 'mailsetup list --status pending --json'],
  remove: ['mailsetup remove mail.acme.com', 'mailsetup remove mail.acme.com --keep-provider --yes'],
  demo: ['mailsetup demo'],
  init: ['mailsetup init', 'mailsetup init --provider ses'],
  health: [
    'mailsetup health mail.acme.com',
    'mailsetup health --all --exit-code          # daily cron: 0 healthy, 1 warning, 2 flagged, 69 unknown',
    'mailsetup health mail.acme.com --history',
  ],
  warmup: [
    'mailsetup warmup mail.acme.com --target 50000',
    'mailsetup warmup mail.acme.com              # where the domain stands today',
    'mailsetup warmup mail.acme.com --reset',
  ],
  reports: [
    'mailsetup reports ~/dmarc-reports',
    'mailsetup reports inbox.mbox --domain acme.com --exit-code    # 0 ready/at target, 1 wait, 2 blocked',
    'mailsetup reports ~/dmarc-reports --since 60d --format csv > rows.csv',
  ],
  completion: ['source <(mailsetup completion bash)', 'mailsetup completion fish | source', 'mailsetup completion zsh > "${fpath[1]}/_mailsetup"'],
};

function collectServer(value: string, previous: string[] = []): string[] {
  if (!parseServer(value)) throw new InvalidArgumentError(`"${value}" is not an IP address with an optional port (ip, ip:port, [ipv6]:port).`);
  return [...previous, value];
}

/** `validate --ip`: the SMTP client address to evaluate SPF for; checked at parse time (exit 64). */
function ipArg(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError(`"${value}" is not an IPv4 or IPv6 address (such as 192.0.2.1 or 2001:db8::1).`);
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function durationArg(value: string): number {
  try { return parseDuration(value); } catch (e) { throw new InvalidArgumentError(e instanceof Error ? e.message.replace(/^--timeout: /, '') : String(e)); }
}

/**
 * A command this run does not name, declared without its options: commander builds an Option and an
 * event listener for each (about 60 in all), which cost every run ~10 M instructions (2 % of Node's
 * own start-up) for help nobody prints. The root help lists a command with options as
 * "name [options]", so one hidden stand-in is kept.
 */
function withoutOptions(cmd: Command): Command {
  const skip = function (this: Command): Command {
    if (this.options.length === 0) Command.prototype.addOption.call(this, new Option('--options').hideHelp());
    return this;
  };
  return Object.assign(cmd, { option: skip, addOption: skip, requiredOption: skip });
}

/**
 * A fresh program per call (tests build one per case). Actions record their exit status in `result`.
 * With `named` (the words of the command line), only the commands named there get their options.
 */
export function createProgram(handlers: Handlers = defaultHandlers, result: { exitCode: number } = { exitCode: 0 }, named?: ReadonlySet<string>): Command {
  const program = new Command('mailsetup')
    .description('Take an email-sending domain from nothing to authenticated and verified.')
    .version(VERSION, '-V, --version')
    .option('--config <path>', 'state/config file (default: $MAILSETUP_CONFIG, nearest mailsetup.json, XDG config)')
    .option('--json', 'print one JSON document on stdout; human text goes to stderr')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-q, --quiet', 'print only errors and the result')
    .option('-v, --verbose', 'print diagnostics to stderr')
    .option('--resolver <ip[:port]>', 'recursive resolver to use (repeatable; replaces the defaults)', collectServer)
    .option('--authoritative <ip[:port]>', 'treat these as the zone\'s authoritative servers (repeatable; skips NS discovery)', collectServer)
    .addOption(new Option('--timeout <duration>', 'timeout for each network call: 500ms, 30s, 10m, 1h').argParser(durationArg))
    .showSuggestionAfterError(true)
    // Every subcommand's help lists the global options too: --json, --resolver … work everywhere.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  const command = (name: string): Command => {
    const cmd = program.command(name);
    return named && !named.has(name) ? withoutOptions(cmd) : cmd;
  };

  command('validate')
    .description('audit SPF, DKIM, DMARC, MX, CNAME, MTA-STS, TLS-RPT, DNSSEC and BIMI of domains from live DNS (no account needed)')
    .argument('[domain|email...]', 'the domains, or addresses whose domains to audit (several are checked concurrently)')
    .option('--file <path>', 'read domains from a file: one per line, # starts a comment')
    .option('-s, --selector <selector>', 'DKIM selector to check (repeatable; default: probe common selectors)', collect)
    .addOption(new Option('-f, --format <format>', 'table (default), json or csv (one row per domain)').choices(['table', 'json', 'csv']))
    .option('--smtp', 'also connect to each MX host on port 25: banner, EHLO, STARTTLS, certificate')
    .option('--exit-code', 'exit 2 when any finding of any domain is an error')
    .option('--ip <address>', 'also run SPF check_host() for this client address and show the trace', ipArg)
    .option('--helo <name>', 'with --ip: the HELO/EHLO name, taken as given (default: the domain)')
    .action(async (targets: string[], options: Record<string, unknown>, cmd: Command) => {
      const handler = await handlers.validate();
      result.exitCode = await handler(targets, options, cmd.optsWithGlobals() as GlobalOptions);
    });

  const run = (name: keyof Handlers) => async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const options = params[params.length - 2] as Record<string, unknown>;
    // Variadic arguments arrive as one array; optional ones as undefined.
    const args = params.slice(0, -2).flat().filter((p): p is string => typeof p === 'string');
    const handler = await handlers[name]();
    const globals = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    // watch has its own --timeout (the deadline), but commander hands a --timeout written after the
    // command name to the global option (network timeout). Give it back to watch.
    if (name === 'watch') {
      const raw = ((cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? []);
      const at = raw.indexOf('watch');
      const own = raw.findIndex((a, i) => i > at && (a === '--timeout' || a.startsWith('--timeout=')));
      if (at >= 0 && own > at && globals.timeout !== undefined) {
        options.timeout = raw[own]!.includes('=') ? raw[own]!.split('=')[1] : raw[own + 1];
        const before = raw.slice(0, at).findIndex((a) => a === '--timeout' || a.startsWith('--timeout='));
        if (before === -1) delete globals.timeout;
      }
    }
    result.exitCode = await handler(args, options, globals);
  };

  command('add')
    .description('register a domain (or one sender address) with an email provider and list the DNS records to publish')
    .argument('<domain|email>', 'the sending domain (mail.acme.com), or an address for single-sender verification')
    .option('-p, --provider <provider>', 'ses, sendgrid, mailgun or resend (default: the one the domain is stored with, else init\'s default)')
    .option('--region <region>', 'provider region (SES: us-east-1 …; Mailgun: us|eu; Resend: us-east-1|eu-west-1|sa-east-1|ap-northeast-1)')
    .option('--mail-from <label>', 'custom MAIL FROM label: <label>.<domain> (SES default: mail)')
    .option('--dkim <mode>', 'SES: easy (default) or byo (key pair generated here, never written to disk)')
    .option('--dkim-key-size <bits>', 'BYODKIM key size: 1024 or 2048 (default)')
    .option('--dmarc <policy>', 'recommended DMARC policy: none (default), quarantine, reject, or skip')
    .option('--dmarc-rua <mailto>', 'aggregate report address for the recommended DMARC record')
    .option('--inbound', 'also list the provider\'s receiving MX (where it has one)')
    .action(run('add'));

  command('records')
    .description('print the DNS records to publish for a domain')
    .argument('<domain>', 'a domain in the state file')
    .option('-f, --format <format>', 'table (default), json, zone or csv')
    .option('--for <host>', 'shape names and values for a DNS host\'s UI: generic, cloudflare, route53, godaddy, namecheap')
    .option('--zone <zone>', 'the DNS zone the names are relative to (default: the organisational domain)')
    .action(run('records'));

  command('verify')
    .description('check every stored record on the authoritative servers and resolvers, and the provider\'s verdict')
    .argument('[domain...]', 'domains in the state file')
    .option('--all', 'every domain in the state file, concurrently')
    .option('--exit-code', 'exit 0 verified, 1 pending, 2 failed (69 when it could not check)')
    .option('--no-provider', 'check DNS against the stored records only (no credentials needed)')
    .option('--refresh', 're-read the record list from the provider first')
    .action(run('verify'));

  command('watch')
    .description('re-verify every interval until everything is verified')
    .argument('<domain...>', 'domains in the state file')
    .option('--interval <duration>', 'time between checks (default 30s)')
    .option('--timeout <duration>', 'give up after this long (default 60m)')
    .option('--exit-code', 'accepted for symmetry with verify: on timeout watch always exits 1 (pending), 2 (failed) or 69 (could not check)')
    .option('--no-provider', 'until DNS is verified; do not ask the provider')
    .action(run('watch'));

  command('autoconfig')
    .description('write the records through the DNS host\'s API: plan, confirm, apply, re-check')
    .argument('<domain>', 'a domain in the state file')
    .option('--dns <host>', 'cloudflare, route53, resellerclub or rfc2136 (default: detected from the zone\'s NS)')
    .option('--dry-run', 'print the plan and stop')
    .option('-y, --yes', 'apply without asking')
    .option('--ttl <seconds>', 'TTL of the records written (default 3600)')
    .option('--watch', 'after applying, watch until everything is verified')
    .option('--no-provider', 'check DNS only afterwards (no provider credentials needed)')
    .action(run('autoconfig'));

  command('health')
    .description('bounce and complaint rates, the provider\'s verdict and DNS per sending domain: healthy, warning or flagged')
    .argument('[domain...]', 'domains in the state file')
    .option('--all', 'every domain in the state file')
    .option('--days <n>', 'window: the last n UTC days, today included (1–30, default 7)')
    .option('--history', 'print the daily snapshots stored by earlier runs (no provider call)')
    .option('--exit-code', 'exit 0 healthy, 1 warning, 2 flagged, 69 unknown (the worst domain)')
    .action(run('health'));

  command('warmup')
    .description('a day-by-day volume ramp for a new sending domain, and where the domain stands on it')
    .argument('<domain>', 'a domain in the state file')
    .option('--target <per-day>', 'daily volume to reach (starts a new plan)')
    .option('--start <per-day>', 'volume on day one (default 200)')
    .option('--days <n>', 'days to reach the target (default 21); growth never exceeds ×2 a day')
    .option('--reset', 'drop the plan')
    .action(run('warmup'));

  command('demo')
    .description('the whole flow offline in under a minute: add → records → autoconfig → watch → verified')
    .action(run('demo'));

  command('list')
    .description('list the domains in the state file')
    .option('--status <status>', 'only pending, verified or failed domains')
    .action(run('list'));

  command('remove')
    .description('delete a domain\'s provider identity and forget it (DNS is never touched)')
    .argument('<domain|email>', 'a domain (or sender address) in the state file')
    .option('--keep-provider', 'keep the identity at the provider; only forget it here')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(run('remove'));

  command('reports')
    .description('read DMARC aggregate reports: who sends as the domain, who fails alignment, and whether p=quarantine / p=reject is safe now')
    .argument('<path|->...', 'report files (.xml, .gz, .zip), e-mails (.eml), mbox files, folders, or - for standard input')
    .option('-d, --domain <domain>', 'only this policy domain (repeatable)', collect)
    .option('--since <duration>', 'the window: reports from this far back (default 30d; also 4w, 72h)')
    .option('--to <date>', 'end of the window (default: now), e.g. 2026-12-05')
    .option('-f, --format <format>', 'table (default), json or csv (one row per report record)')
    .option('--exit-code', 'exit 0 ready or at target, 1 wait, 2 blocked (64 when no input held a report)')
    .option('--strict', 'block p=reject on mailing-list traffic that fails both SPF and DKIM')
    .option('--no-dns', 'do not read the live _dmarc record (the newest report\'s policy is taken as current)')
    .action(run('reports'));

  command('init')
    .description('create ./mailsetup.json, so the state lives (and is committed) next to your infrastructure code')
    .option('-p, --provider <provider>', 'default provider for add: ses, sendgrid, mailgun or resend')
    .action(run('init'));

  command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .action(run('completion'));

  program.commands.forEach((c) => {
    c.exitOverride().showSuggestionAfterError(true);
    const examples = EXAMPLES[c.name()];
    if (examples) c.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
  });
  return program;
}

/** Run the CLI; resolves to the exit status. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const wantsJson = argv.includes('--json');
  const captured: string[] = [];
  const result = { exitCode: 0 };
  const program = createProgram(defaultHandlers, result, new Set(argv.slice(2)));
  const output: OutputConfiguration = {
    // Usage errors are rendered as ours (one line and a hint): commander's own text is only collected.
    writeErr: (s: string) => { captured.push(s); },
    outputError: (s: string) => { captured.push(s); },
    // Help and --version to a pipe or file: one write, no stream (src/cli/stdio.ts). Commander's
    // defaults for a non-terminal are 80 columns and no colour.
    ...(plainFd(1) ? { writeOut: (s: string) => writeDirect(1, s), getOutHelpWidth: () => 80, getOutHasColors: () => false } : {}),
    ...(plainFd(2) ? { getErrHelpWidth: () => 80, getErrHasColors: () => false } : {}),
  };
  program.configureOutput(output);
  program.commands.forEach((c) => c.configureOutput(output));
  // A command writes through process.stdout and process.stderr: they get their EPIPE handling first.
  program.hook('preAction', guardStdio);
  const uninstall = abortOnInterrupt();
  try {
    await program.parseAsync(argv);
    return result.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
      if (err.code === 'commander.help' && err.exitCode === 0) return EXIT.OK; // `mailsetup help <command>`
      if (err.code === 'commander.executeSubCommandAsync' || (err.code !== 'commander.help' && err.exitCode === 0)) return EXIT.OK;
    }
    // Everything from here writes through the streams.
    guardStdio();
    if (err instanceof Interrupted) {
      sayAborted();
      return INTERRUPTED_EXIT;
    }
    if (err instanceof CommanderError && err.code === 'commander.help') {
      // No command given: usage to stderr, and the bad-usage status.
      process.stderr.write(captured.join(''));
      return EXIT.USAGE;
    }
    // The error renderer is loaded only for an error: --help and --version do without it, and every
    // command has already loaded it with its own output.
    const [{ createOutput }, { renderError }] = await Promise.all([import('../render/output.js'), import('../render/error.js')]);
    const out = createOutput({ json: wantsJson, quiet: false, verbose: argv.includes('--verbose') || argv.includes('-v'), color: undefined });
    if (err instanceof CommanderError) {
      // Commander puts its "(Did you mean …?)" on a second line; an error is one line here.
      const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      const sub = argv.slice(2).find((a) => !a.startsWith('-'));
      return renderError(new MailsetupError('USAGE', message, {
        hint: `Run "mailsetup ${sub && program.commands.some((c) => c.name() === sub) ? sub + ' ' : ''}--help" for usage.`,
      }), out);
    }
    return renderError(err, out);
  } finally {
    uninstall();
  }
}
