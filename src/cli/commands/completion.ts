/**
 * `completion bash|zsh|fish`: a completion script generated from the command tree itself, so a new
 * command or flag is completed without anyone editing a script. Enumerated option values (providers,
 * DNS hosts, formats, policies) come from the same lists the commands validate against.
 */
import type { Command, Option } from 'commander';
import { MailsetupError } from '../../errors.js';
import type { GlobalOptions } from '../context.js';
import { choiceHint } from '../../util/did-you-mean.js';
import { PROVIDER_IDS } from '../../providers/types.js';
import { HOST_IDS } from '../../dns-hosts/types.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Values an option accepts, by long flag (and by command where the same flag differs). */
function valuesFor(command: string, flag: string): string[] {
  switch (flag) {
    case '--provider': return [...PROVIDER_IDS];
    case '--dns': return [...HOST_IDS];
    case '--format': return command === 'records' ? ['table', 'json', 'zone', 'csv'] : ['table', 'json', 'csv'];
    case '--for': return ['generic', 'cloudflare', 'route53', 'godaddy', 'namecheap'];
    case '--dmarc': return ['none', 'quarantine', 'reject', 'skip'];
    case '--dkim': return ['easy', 'byo'];
    case '--dkim-key-size': return ['1024', '2048'];
    case '--status': return ['pending', 'verified', 'failed'];
    default: return [];
  }
}

interface Spec { name: string; description: string; options: Array<{ flags: string[]; takesValue: boolean; values: string[]; description: string }>; args: string[] }

function optionSpec(command: string, o: Option): Spec['options'][number] {
  const flags = [o.long, o.short].filter((f): f is string => !!f);
  return { flags, takesValue: o.required || o.optional, values: o.long ? valuesFor(command, o.long) : [], description: o.description };
}

/** The tree, flattened: global options under the name '', then one spec per command. */
function specs(program: Command): Spec[] {
  const global: Spec = { name: '', description: '', options: program.options.map((o) => optionSpec('', o)), args: [] };
  const commands = program.commands.filter((c) => c.name() !== 'help').map((c) => ({
    name: c.name(),
    description: c.description(),
    options: c.options.map((o) => optionSpec(c.name(), o)),
    args: c.name() === 'completion' ? [...SHELLS] : [],
  }));
  return [global, ...commands];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(all: Spec[]): string {
  const [global, ...commands] = all as [Spec, ...Spec[]];
  const globalFlags = global.options.flatMap((o) => o.flags).join(' ');
  const valueCases = all.flatMap((s) => s.options.filter((o) => o.takesValue).map((o) => {
    const words = o.values.length ? `COMPREPLY=( $(compgen -W ${q(o.values.join(' '))} -- "$cur") )` : 'COMPREPLY=()';
    return `      ${s.name || '*'}:${o.flags.join('|' + (s.name || '*') + ':')}) ${words}; return ;;`;
  }));
  return `# mailsetup completion for bash. Load it with:  source <(mailsetup completion bash)
_mailsetup() {
  local cur prev cmd i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for (( i=1; i<COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      ${global.options.filter((o) => o.takesValue).flatMap((o) => o.flags).join('|')}) (( i++ )) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "\${cmd:-*}:$prev" in
${valueCases.join('\n')}
  esac
  case "$cmd" in
    "") COMPREPLY=( $(compgen -W ${q(commands.map((c) => c.name).join(' ') + ' ' + globalFlags)} -- "$cur") ) ;;
${commands.map((c) => `    ${c.name}) COMPREPLY=( $(compgen -W ${q([...new Set([...c.options.flatMap((o) => o.flags), ...c.args, '--help', ...globalFlags.split(' ')])].join(' '))} -- "$cur") ) ;;`).join('\n')}
  esac
}
complete -F _mailsetup mailsetup
`;
}

function zsh(all: Spec[]): string {
  const [global, ...commands] = all as [Spec, ...Spec[]];
  const esc = (s: string): string => s.replace(/[[\]:'\\]/g, (c) => `\\${c}`);
  // One _arguments spec per flag spelling, each one single-quoted word; an exclusion list keeps
  // -p from being offered after --provider.
  const arg = (o: Spec['options'][number]): string => {
    const value = o.takesValue ? `:value:${o.values.length ? `(${o.values.join(' ')})` : ''}` : '';
    const exclusive = o.flags.length > 1 ? `(${o.flags.join(' ')})` : '';
    return o.flags.map((f) => q(`${exclusive}${f}[${esc(o.description)}]${value}`)).join(' ');
  };
  return `#compdef mailsetup
# mailsetup completion for zsh. Load it with:  source <(mailsetup completion zsh)
_mailsetup() {
  local -a commands globals
  commands=(
${commands.map((c) => `    ${q(`${c.name}:${c.description.replace(/:/g, '\\:')}`)}`).join('\n')}
  )
  globals=(
${global.options.map((o) => `    ${arg(o)}`).join('\n')}
  )
  if (( CURRENT == 2 )) || [[ \${words[2]} == -* && CURRENT -le 2 ]]; then
    _describe -t commands 'mailsetup command' commands
    _arguments $globals
    return
  fi
  case \${words[2]} in
${commands.map((c) => `    ${c.name}) _arguments $globals ${c.options.map(arg).join(' ')}${c.args.length ? ` '1:shell:(${c.args.join(' ')})'` : ''} '*::argument:_default' ;;`).join('\n')}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _mailsetup "$@"; else compdef _mailsetup mailsetup; fi
`;
}

function fish(all: Spec[]): string {
  const [global, ...commands] = all as [Spec, ...Spec[]];
  const lines = ['# mailsetup completion for fish. Load it with:  mailsetup completion fish | source', 'complete -c mailsetup -f'];
  const flagArgs = (o: Spec['options'][number]): string => o.flags.map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(' ');
  const opt = (cond: string, o: Spec['options'][number]): string =>
    `complete -c mailsetup ${cond} ${flagArgs(o)}${o.takesValue ? ` -r${o.values.length ? ` -xa ${q(o.values.join(' '))}` : ''}` : ''} -d ${q(o.description)}`;
  for (const c of commands) lines.push(`complete -c mailsetup -n '__fish_use_subcommand' -a ${c.name} -d ${q(c.description)}`);
  for (const o of global.options) lines.push(opt('', o));
  for (const c of commands) {
    for (const o of c.options) lines.push(opt(`-n '__fish_seen_subcommand_from ${c.name}'`, o));
    if (c.args.length) lines.push(`complete -c mailsetup -n '__fish_seen_subcommand_from ${c.name}' -a ${q(c.args.join(' '))}`);
  }
  return lines.join('\n') + '\n';
}

export function completionScript(shell: string, program: Command): string {
  const all = specs(program);
  if (shell === 'bash') return bash(all);
  if (shell === 'zsh') return zsh(all);
  if (shell === 'fish') return fish(all);
  throw new MailsetupError('USAGE', `completion: unknown shell "${shell}"`, { hint: choiceHint(shell, SHELLS, 'completion') });
}

export async function completionCommand(args: string[], _options: Record<string, unknown>, _globals: GlobalOptions): Promise<number> {
  const { createProgram } = await import('../main.js');
  process.stdout.write(completionScript(args[0] ?? '', createProgram()));
  return 0;
}
