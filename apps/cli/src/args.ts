import { parseArgs } from 'node:util';
import { BATCH_MAX_JOBS } from '@gantry/sdk';
import { UsageError } from './exit-codes.js';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** Options every command takes. */
const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

interface CommandSpec {
  /** `submit`, `jobs ls`, ... */
  name: string;
  /** Other names, e.g. `jobs list`. */
  aliases?: string[];
  summary: string;
  /** Positional arguments, e.g. `<workflow.json>...`. */
  args: string;
  minArgs: number;
  maxArgs: number;
  /** An option that stands for the positional arguments (`submit --batch file.jsonl`): with it, none are taken; without it, minArgs apply. */
  argsOption?: string;
  options: Record<string, OptionSpec & { help: string; arg?: string }>;
}

export const COMMANDS: CommandSpec[] = [
  {
    name: 'submit',
    summary: 'Submit ComfyUI workflows (API format), or a JSON Lines file of jobs (--batch); optionally watch them and download the outputs',
    args: '<workflow.json>... | --batch <file.jsonl>',
    minArgs: 1,
    argsOption: 'batch',
    maxArgs: 100,
    options: {
      batch: { type: 'string', arg: 'file.jsonl', help: `submit one job per line (a job body or a workflow) through POST /jobs/batch, ${BATCH_MAX_JOBS} per request; bad lines are reported by number and nothing is sent` },
      set: { type: 'string', multiple: true, arg: 'node.input=value', help: 'set an input of a node (value: JSON if it parses, else a string); repeatable' },
      input: { type: 'string', multiple: true, arg: 'name=file|https-url|upload:id', help: 'an input image, bound to the LoadImage node whose image (or title) is name; files are uploaded once; repeatable' },
      watch: { type: 'boolean', short: 'w', help: 'follow the jobs live until they finish' },
      out: { type: 'string', short: 'o', arg: 'dir', help: 'download the outputs into dir (implies --watch)' },
      priority: { type: 'string', arg: 'n', help: 'priority -100..100 (higher runs first)' },
      tag: { type: 'string', multiple: true, arg: 'tag', help: 'only backends with this tag run it; repeatable' },
      timeout: { type: 'string', arg: 'seconds', help: 'wall-clock limit of a run' },
      metadata: { type: 'string', multiple: true, arg: 'key=value', help: 'metadata stored with the job; repeatable' },
      'idempotency-key': { type: 'string', arg: 'key', help: 'a repeat with the same key returns the first job (-<n> is appended per file, -b<n> per batch request)' },
      webhook: { type: 'string', arg: 'url', help: 'POST the finished job to this URL (docs/webhooks.md)' },
      reuse: { type: 'boolean', help: 'answer from an identical earlier success of your tenant when there is one (no GPU run; fixed seeds only)' },
    },
  },
  {
    name: 'jobs ls',
    aliases: ['jobs list'],
    summary: 'List jobs, newest first',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    options: {
      status: { type: 'string', arg: 'status', help: 'queued, dispatched, running, succeeded, failed or canceled' },
      limit: { type: 'string', short: 'n', arg: 'n', help: 'at most n jobs (default 20)' },
      all: { type: 'boolean', short: 'a', help: 'every job (all pages)' },
    },
  },
  { name: 'jobs get', summary: 'Show a job', args: '<job-id>', minArgs: 1, maxArgs: 1, options: {} },
  { name: 'jobs cancel', summary: 'Cancel jobs', args: '<job-id>...', minArgs: 1, maxArgs: 100, options: {} },
  {
    name: 'jobs retry',
    summary: 'Submit a finished (failed, canceled or succeeded) job again as a new job with the same input',
    args: '<job-id>',
    minArgs: 1,
    maxArgs: 1,
    options: {
      watch: { type: 'boolean', short: 'w', help: 'follow the new job live until it finishes' },
      out: { type: 'string', short: 'o', arg: 'dir', help: 'download the outputs into dir (implies --watch)' },
      'idempotency-key': { type: 'string', arg: 'key', help: 'a repeat with the same key returns the first new job' },
    },
  },
  {
    name: 'jobs events',
    summary: "Print a job's events",
    args: '<job-id>',
    minArgs: 1,
    maxArgs: 1,
    options: {
      since: { type: 'string', arg: 'seq', help: 'only events after this sequence number' },
      follow: { type: 'boolean', short: 'f', help: 'keep printing live events until the job finishes' },
    },
  },
  {
    name: 'jobs watch',
    summary: 'Follow jobs live until they finish',
    args: '<job-id>...',
    minArgs: 1,
    maxArgs: 100,
    options: { out: { type: 'string', short: 'o', arg: 'dir', help: 'download the outputs into dir' } },
  },
  {
    name: 'jobs download',
    summary: "Download a job's outputs",
    args: '<job-id>',
    minArgs: 1,
    maxArgs: 1,
    options: { out: { type: 'string', short: 'o', arg: 'dir', help: 'target directory (default: the current one)' } },
  },
  { name: 'backends ls', aliases: ['backends list'], summary: 'List the GPU backends', args: '', minArgs: 0, maxArgs: 0, options: {} },
  { name: 'backends drain', summary: 'Drain a backend: no new jobs, running ones finish', args: '<backend-id>', minArgs: 1, maxArgs: 1, options: {} },
  { name: 'backends undrain', summary: 'Undrain a backend', args: '<backend-id>', minArgs: 1, maxArgs: 1, options: {} },
  {
    name: 'models',
    summary: 'List the model files of the fleet and the backends that hold them',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    options: { kind: { type: 'string', arg: 'kind', help: 'only this kind: checkpoint, lora, vae, upscaler, controlnet, clip, unet' } },
  },
  {
    name: 'keys create',
    summary: 'Create an API key (tenant-admin: its own tenant; operator: any)',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    options: {
      tenant: { type: 'string', arg: 'tenant', help: 'the tenant (an operator key creates it if new)' },
      scopes: { type: 'string', arg: 'scopes', help: 'comma-separated: submit, read, tenant-admin, operator (default submit,read)' },
      name: { type: 'string', arg: 'name', help: 'a label' },
    },
  },
  {
    name: 'keys ls',
    aliases: ['keys list'],
    summary: "List the tenant's API keys (tenant-admin; never secrets)",
    args: '',
    minArgs: 0,
    maxArgs: 0,
    options: { tenant: { type: 'string', arg: 'tenant', help: "another tenant's keys (operator keys only)" } },
  },
  { name: 'keys revoke', summary: 'Revoke an API key (tenant-admin; operator for other tenants and operator keys)', args: '<key-id>', minArgs: 1, maxArgs: 1, options: {} },
  {
    name: 'keys rotate',
    summary: 'Replace an API key by a new one (tenant-admin; operator for other tenants and operator keys)',
    args: '<key-id>',
    minArgs: 1,
    maxArgs: 1,
    options: { grace: { type: 'string', arg: 'seconds', help: 'how long the old key keeps working (default 0)' } },
  },
];

export interface ParsedCommand {
  command: CommandSpec;
  args: string[];
  /** The command's own options plus the global ones. */
  options: Record<string, string | boolean | string[] | undefined>;
}

export type Parsed = ParsedCommand | { help: true; topic?: string } | { version: true };

/** Names (long and short) of options that take a value, across all commands: their values are not words. */
function valueOptions(): Set<string> {
  const names = new Set<string>();
  for (const [name, o] of Object.entries(GLOBAL_OPTIONS)) if (o.type === 'string') names.add(`--${name}`);
  for (const c of COMMANDS) {
    for (const [name, o] of Object.entries(c.options)) {
      if (o.type !== 'string') continue;
      names.add(`--${name}`);
      if (o.short) names.add(`-${o.short}`);
    }
  }
  return names;
}

/** The positional words of argv, skipping option values (`--url http://x jobs ls` → jobs, ls). */
function positionalWords(argv: string[]): string[] {
  const takesValue = valueOptions();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      if (!a.includes('=') && takesValue.has(a)) i++;
      continue;
    }
    words.push(a);
  }
  return words;
}

function findCommand(words: string[]): { spec: CommandSpec; used: number } | undefined {
  for (const spec of COMMANDS) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) {
      const parts = name.split(' ');
      if (parts.every((p, i) => words[i] === p)) return { spec, used: parts.length };
    }
  }
  return undefined;
}

/**
 * Parses argv (without node and the script). Options may come anywhere; short flags are resolved
 * per command (`-o` is `--out` for submit). Throws UsageError on anything unknown or malformed.
 */
export function parseCommandLine(argv: string[]): Parsed {
  // First pass, loosely: find the command words among the positionals.
  const words = positionalWords(argv);
  if (argv.includes('--version') && words.length === 0) return { version: true };
  if (words.length === 0 || words[0] === 'help') {
    return words[1] ? { help: true, topic: words.slice(1).join(' ') } : { help: true };
  }
  const found = findCommand(words);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!found && wantsHelp) return { help: true, topic: words.join(' ') };
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
    if (group.length > 0) {
      throw new UsageError(words[1] ? `Unknown command "${words[0]} ${words[1]}"` : `"${words[0]}" needs a subcommand: ${group.map((c) => c.name.split(' ')[1]).join(', ')}`, words[0]);
    }
    throw new UsageError(`Unknown command "${words[0]}"`);
  }
  const spec = found.spec;
  const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, spec.name);
  }
  if (parsed.values.help) return { help: true, topic: spec.name };
  const args = parsed.positionals.slice(found.used);
  if (spec.argsOption && parsed.values[spec.argsOption] !== undefined) {
    if (args.length > 0) throw new UsageError(`Give either ${spec.args.split(' | ')[0]} or --${spec.argsOption}, not both`, spec.name);
  } else if (args.length < spec.minArgs) throw new UsageError(`Missing ${spec.args}`, spec.name);
  if (args.length > spec.maxArgs) throw new UsageError(`Unexpected argument "${args[spec.maxArgs]}"`, spec.name);
  return { command: spec, args, options: parsed.values as ParsedCommand['options'] };
}

/** An integer option in [min, max], or undefined when not given. */
export function intOption(value: unknown, name: string, min: number, max: number, command?: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(value)}"`, command);
  }
  return n;
}

/** The usage text: of everything, or of one command (or group, e.g. `jobs`). */
export function usage(topic?: string): string {
  const lines: string[] = [];
  const specs = topic ? COMMANDS.filter((c) => c.name === topic || c.name.startsWith(`${topic} `) || c.aliases?.includes(topic)) : [];
  if (topic && specs.length > 0) {
    for (const spec of specs) {
      lines.push(`Usage: gantry ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`, '', `  ${spec.summary}`, '');
      const opts = Object.entries(spec.options);
      if (opts.length) {
        lines.push('Options:');
        for (const [name, o] of opts) lines.push(`  ${(o.short ? `-${o.short}, ` : '    ') + `--${name}${o.arg ? ` <${o.arg}>` : ''}`.padEnd(30)} ${o.help}`);
        lines.push('');
      }
    }
  } else {
    lines.push('Usage: gantry <command> [options]', '', 'Commands:');
    for (const c of COMMANDS) lines.push(`  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(34)} ${c.summary}`);
    lines.push('');
  }
  lines.push(
    'Global options:',
    '  --url <url>          API base URL (env GANTRY_URL; default http://127.0.0.1:8080)',
    '  --api-key <key>      API key (env GANTRY_API_KEY)',
    '  --config <file>      config file (env GANTRY_CONFIG; default ~/.config/gantry/config.json)',
    '  --json               machine-readable output on stdout',
    '  -h, --help           this help',
    '',
    'Exit codes: 0 ok, 1 a job failed or was canceled, 2 usage error, 3 API/auth/network error.',
  );
  return lines.join('\n');
}
