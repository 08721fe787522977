import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { saveOutputs } from '@gantry/sdk/node';
import { JOB_STATUSES, type Job, type JobEvent, type JobStatus } from '@gantry/sdk';
import { intOption, type ParsedCommand } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { followJobs } from '../follow-jobs.js';
import { eventLine, jobDetails, jobsTable } from '../format.js';

export async function jobsLs(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const status = cmd.options.status as string | undefined;
  if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')}`, 'jobs ls');
  }
  const all = Boolean(cmd.options.all);
  const limit = all ? Infinity : (intOption(cmd.options.limit, 'limit', 1, 10_000, 'jobs ls') ?? 20);
  const jobs: Job[] = [];
  const query = { ...(status ? { status: status as JobStatus } : {}), limit: Math.min(200, limit) };
  for await (const job of ctx.client.list(query, { signal: ctx.io.signal })) {
    jobs.push(job);
    if (jobs.length >= limit) break;
  }
  if (ctx.json) ctx.emitJson(jobs);
  else ctx.say(jobsTable(jobs));
  return EXIT.OK;
}

export async function jobsGet(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const job = await ctx.client.get(cmd.args[0]!, { signal: ctx.io.signal });
  if (ctx.json) ctx.emitJson(job);
  else ctx.say(jobDetails(job));
  return EXIT.OK;
}

export async function jobsCancel(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const jobs: Job[] = [];
  for (const id of cmd.args) {
    const job = await ctx.client.cancel(id, { signal: ctx.io.signal });
    jobs.push(job);
    ctx.say(`${job.id}  ${job.status === 'canceled' ? 'canceled' : `cancel requested (${job.status})`}`);
  }
  if (ctx.json) ctx.emitJson(cmd.args.length === 1 ? jobs[0] : jobs);
  return EXIT.OK;
}

export async function jobsRetry(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const outDir = cmd.options.out as string | undefined;
  const watch = Boolean(cmd.options.watch) || outDir !== undefined;
  // Always a key (a fresh one unless given), so the SDK may repeat the call without a second job.
  const idempotencyKey = (cmd.options['idempotency-key'] as string | undefined) ?? `gantry-cli-${randomUUID()}`;
  const { job, replayed } = await ctx.client.retry(cmd.args[0]!, { signal: ctx.io.signal, idempotencyKey });
  ctx.say(`${replayed ? 'already retried' : 'retried'} ${job.retryOf ?? cmd.args[0]} as ${job.id}`);
  if (!watch) {
    if (ctx.json) ctx.emitJson(job);
    return EXIT.OK;
  }
  const result = await followJobs(ctx, [{ id: job.id, label: job.id.slice(0, 13) }], outDir);
  if (ctx.json) ctx.emitJson(result.jobs[0]);
  return result.exitCode;
}

export async function jobsEvents(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const id = cmd.args[0]!;
  let since = intOption(cmd.options.since, 'since', 0, Number.MAX_SAFE_INTEGER, 'jobs events') ?? 0;
  const events: JobEvent[] = [];
  const print = (e: JobEvent) => {
    if (ctx.json && cmd.options.follow) ctx.io.stdout.write(`${JSON.stringify(e)}\n`);
    else if (ctx.json) events.push(e);
    else ctx.say(eventLine(e));
  };
  for (;;) {
    const page = await ctx.client.events(id, { since, signal: ctx.io.signal });
    page.items.forEach(print);
    if (page.items.length === 0 || page.lastSeq === since) break;
    since = page.lastSeq;
  }
  if (cmd.options.follow) {
    // --json --follow prints one event per line (NDJSON) as they come.
    const watch = ctx.client.watch(id, { onEvent: print }, { since, signal: ctx.io.signal });
    await watch.done;
    return EXIT.OK;
  }
  if (ctx.json) ctx.emitJson(events);
  return EXIT.OK;
}

export async function jobsWatch(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const result = await followJobs(
    ctx,
    cmd.args.map((id) => ({ id, label: id.slice(0, 13) })),
    cmd.options.out as string | undefined,
  );
  if (ctx.json) ctx.emitJson(result.jobs);
  return result.exitCode;
}

export async function jobsDownload(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const job = await ctx.client.get(cmd.args[0]!, { signal: ctx.io.signal });
  const dir = path.resolve(ctx.io.cwd, (cmd.options.out as string | undefined) ?? '.');
  if (job.artifacts.length === 0) ctx.warn(`Job ${job.id} has no outputs (${job.status})`);
  const saved = await saveOutputs(ctx.client, job, dir, { signal: ctx.io.signal });
  for (const s of saved) ctx.say(path.relative(ctx.io.cwd, s.path) || s.path);
  if (ctx.json) ctx.emitJson(saved.map((s) => ({ artifactId: s.artifact.id, path: s.path, bytes: s.bytes })));
  return EXIT.OK;
}
