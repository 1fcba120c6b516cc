import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { createProgram, type Handler, type Handlers } from '../../src/cli/main.js';

/** A program whose handlers only record what they were given (a Spy per STYLE.md §11). */
function spyProgram(argv?: string[]) {
  const calls: Array<{ args: string[]; options: Record<string, unknown>; globals: Record<string, unknown> }> = [];
  const spy: Handler = async (args, options, globals) => { calls.push({ args, options, globals: globals as Record<string, unknown> }); return 0; };
  const handlers: Handlers = { validate: async () => spy, add: async () => spy, records: async () => spy, list: async () => spy, remove: async () => spy, verify: async () => spy, watch: async () => spy, autoconfig: async () => spy, demo: async () => spy, init: async () => spy, completion: async () => spy, health: async () => spy, warmup: async () => spy, reports: async () => spy };
  // As main() builds it: only the commands the command line names get their options.
  const program = createProgram(handlers, undefined, argv ? new Set(argv) : undefined);
  program.configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} });
  program.commands.forEach((c) => c.configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} }));
  return { program, calls };
}

async function parse(argv: string[]) {
  const { program, calls } = spyProgram(argv);
  await program.parseAsync(['node', 'mailsetup', ...argv]);
  return calls[0]!;
}

async function parseError(argv: string[]): Promise<CommanderError> {
  const { program } = spyProgram(argv);
  try {
    await program.parseAsync(['node', 'mailsetup', ...argv]);
  } catch (e) {
    expect(e).toBeInstanceOf(CommanderError);
    return e as CommanderError;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('commands the command line does not name are declared without their options', () => {
  it('the root help and every command\'s help read exactly as with every option declared', () => {
    const full = spyProgram().program;
    expect(spyProgram([]).program.helpInformation()).toBe(full.helpInformation());
    for (const c of full.commands) {
      const lazy = spyProgram([c.name()]).program;
      expect(lazy.helpInformation()).toBe(full.helpInformation());
      expect(lazy.commands.find((l) => l.name() === c.name())!.helpInformation()).toBe(c.helpInformation());
    }
    // …and the others really are bare: the saving is real.
    const bare = spyProgram(['validate']).program.commands.find((c) => c.name() === 'add')!;
    expect(bare.options.length).toBe(1);
  });
});

describe('argv → options', () => {
  it('validate takes a target, repeated selectors and --exit-code', async () => {
    const c = await parse(['validate', 'mail.acme.com', '--selector', 's1', '-s', 's2', '--exit-code']);
    expect(c.args).toEqual(['mail.acme.com']);
    expect(c.options).toMatchObject({ selector: ['s1', 's2'], exitCode: true });
  });

  it('validate takes several targets, --file, --format and --smtp', async () => {
    const c = await parse(['validate', 'a.test', 'b.test', '--file', 'list.txt', '--format', 'csv', '--smtp']);
    expect(c.args).toEqual(['a.test', 'b.test']);
    expect(c.options).toMatchObject({ file: 'list.txt', format: 'csv', smtp: true });
  });

  it('global options work before and after the command, and repeat', async () => {
    const c = await parse(['--json', 'validate', 'acme.com', '--resolver', '127.0.0.1:5300', '--resolver', '[::1]:53', '--authoritative', '192.0.2.1', '--timeout', '500ms']);
    expect(c.globals).toMatchObject({ json: true, resolver: ['127.0.0.1:5300', '[::1]:53'], authoritative: ['192.0.2.1'], timeout: 500 });
  });

  it.each([
    [['--timeout', '30s'], 30_000],
    [['--timeout', '10m'], 600_000],
    [['--timeout', '1h'], 3_600_000],
  ])('durations: %j → %d ms', async (flags, ms) => {
    const c = await parse(['validate', 'acme.com', ...flags]);
    expect(c.globals.timeout).toBe(ms);
  });

  it('validate --ip takes an address and --helo a name as given', async () => {
    const c = await parse(['validate', 'acme.com', '--ip', '2001:db8::1', '--helo', 'mx.odd_name']);
    expect(c.options).toMatchObject({ ip: '2001:db8::1', helo: 'mx.odd_name' });
  });

  it('--no-color sets color=false', async () => {
    const c = await parse(['validate', 'acme.com', '--no-color']);
    expect(c.globals.color).toBe(false);
  });
});

describe('provider commands', () => {
  it('add takes its provider options', async () => {
    const c = await parse(['add', 'mail.acme.com', '--provider', 'ses', '--region', 'eu-west-1', '--mail-from', 'bounce', '--dkim', 'byo', '--dkim-key-size', '1024', '--dmarc', 'reject', '--dmarc-rua', 'mailto:d@acme.com', '--inbound']);
    expect(c.args).toEqual(['mail.acme.com']);
    expect(c.options).toMatchObject({ provider: 'ses', region: 'eu-west-1', mailFrom: 'bounce', dkim: 'byo', dkimKeySize: '1024', dmarc: 'reject', dmarcRua: 'mailto:d@acme.com', inbound: true });
  });

  it('records, list and remove take theirs', async () => {
    expect((await parse(['records', 'mail.acme.com', '--format', 'zone', '--for', 'cloudflare'])).options).toMatchObject({ format: 'zone', for: 'cloudflare' });
    expect((await parse(['list', '--status', 'pending'])).options).toMatchObject({ status: 'pending' });
    expect((await parse(['remove', 'mail.acme.com', '--keep-provider', '--yes'])).options).toMatchObject({ keepProvider: true, yes: true });
  });
});

describe('bad usage is refused at parse time', () => {
  it.each([
    [['validate', 'acme.com', '--bogus'], /unknown option/],
    [['validate', 'acme.com', '--resolver', 'dns.google'], /not an IP address/],
    [['validate', 'acme.com', '--timeout', 'soon'], /not a duration/],
    [['frobnicate'], /unknown command/],
    [['validate', 'acme.com', '--ip', '300.1.1.1'], /not an IPv4 or IPv6 address/],
    [['validate', 'acme.com', '--format', 'xml'], /Allowed choices are table, json, csv/],
  ])('%j', async (argv, message) => {
    const e = await parseError(argv);
    expect(e.message).toMatch(message);
    expect(e.exitCode).not.toBe(0);
  });
});
