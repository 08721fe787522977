import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createNodeClient } from '@gantry/sdk/node';
import { isAbortError } from '@gantry/sdk';
import { parseCommandLine, usage, type ParsedCommand } from './args.js';
import { backendsDrain, backendsLs } from './commands/backends.js';
import { jobsCancel, jobsDownload, jobsEvents, jobsGet, jobsLs, jobsRetry, jobsWatch } from './commands/jobs.js';
import { keysCreate, keysLs, keysRevoke, keysRotate } from './commands/keys.js';
import { modelsLs } from './commands/models.js';
import { submitCommand } from './commands/submit.js';
import { resolveConfig } from './config.js';
import { commandContext, type CliIo, type CommandContext } from './context.js';
import { EXIT, UsageError } from './exit-codes.js';
import { errorJson, errorText } from './format.js';

const HANDLERS: Record<string, (ctx: CommandContext, cmd: ParsedCommand) => Promise<number>> = {
  submit: submitCommand,
  'jobs ls': jobsLs,
  'jobs get': jobsGet,
  'jobs cancel': jobsCancel,
  'jobs retry': jobsRetry,
  'jobs events': jobsEvents,
  'jobs watch': jobsWatch,
  'jobs download': jobsDownload,
  'backends ls': (ctx) => backendsLs(ctx),
  'backends drain': (ctx, cmd) => backendsDrain(ctx, cmd, true),
  'backends undrain': (ctx, cmd) => backendsDrain(ctx, cmd, false),
  models: modelsLs,
  'keys create': keysCreate,
  'keys ls': keysLs,
  'keys revoke': keysRevoke,
  'keys rotate': keysRotate,
};

export function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs one command line; resolves with the exit code (never throws, never calls process.exit). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return usageFailure(io, err, json);
  }
  if ('version' in parsed) {
    io.stdout.write(`${cliVersion()}\n`);
    return EXIT.OK;
  }
  if ('help' in parsed) {
    io.stdout.write(`${usage(parsed.topic)}\n`);
    return EXIT.OK;
  }
  let ctx: CommandContext;
  try {
    const config = resolveConfig({
      flags: { url: parsed.options.url as string | undefined, apiKey: parsed.options['api-key'] as string | undefined, config: parsed.options.config as string | undefined },
      env: io.env,
      ...(io.home ? { home: io.home } : {}),
    });
    const client = createNodeClient({ url: config.url, ...(config.apiKey ? { apiKey: config.apiKey } : {}), headers: { 'user-agent': `gantry-cli/${cliVersion()}` } });
    ctx = commandContext(io, client, json);
  } catch (err) {
    return usageFailure(io, err, json);
  }
  try {
    return await HANDLERS[parsed.command.name]!(ctx, parsed);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err, json);
    if (isAbortError(err) || io.signal.aborted) {
      io.stderr.write('Interrupted; the jobs keep running (see `gantry jobs ls`).\n');
      return EXIT.INTERRUPTED;
    }
    if (json) io.stdout.write(`${JSON.stringify(errorJson(err), null, 2)}\n`);
    io.stderr.write(`${errorText(err)}\n`);
    return EXIT.API;
  }
}

function usageFailure(io: CliIo, err: unknown, json: boolean): number {
  const message = err instanceof Error ? err.message : String(err);
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', status: 0, title: 'Usage error', detail: message } }, null, 2)}\n`);
  io.stderr.write(`gantry: ${message}\n`);
  const command = err instanceof UsageError ? err.command : undefined;
  io.stderr.write(command ? `Run "gantry ${command} --help" for its options.\n` : 'Run "gantry --help" for the commands.\n');
  return EXIT.USAGE;
}
