import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { BATCH_MAX_JOBS, GantryError, type BatchItemError, type BatchJobResult, type SubmitJobInput } from '@gantry/sdk';
import type { ParsedCommand } from '../args.js';
import { readBatchFile, type BadLine } from '../batch-file.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { followJobs } from '../follow-jobs.js';
import { errorDetailLines } from '../format.js';
import { parseInputArg, resolveInputArgs } from '../input-images.js';
import { applyJobFlags, jobFlagsOf } from '../job-flags.js';

/**
 * `gantry submit --batch file.jsonl`: every line a job, sent through `POST /jobs/batch` in requests
 * of up to BATCH_MAX_JOBS. Every line is read and checked first: bad lines are all reported with
 * their numbers and nothing is sent. A request the API refuses (`BATCH_INVALID`) is reported per
 * line too; each request is all-or-nothing, and each carries its own idempotency key
 * (`<key>-b<n>`), so running the same command again with the same `--idempotency-key` after
 * fixing a line resubmits nothing that was accepted.
 */
export async function submitBatchFile(ctx: CommandContext, cmd: ParsedCommand, file: string): Promise<number> {
  const o = cmd.options;
  const flags = jobFlagsOf(o);
  const outDir = o.out as string | undefined;
  const watch = Boolean(o.watch) || outDir !== undefined;
  const name = path.basename(file);

  const read = await readBatchFile(file, ctx.io.cwd);
  const bad: BadLine[] = [...read.bad];
  const jobs: { line: number; body: SubmitJobInput }[] = [];
  for (const { line, body } of read.jobs) {
    try {
      const { workflow, ...extra } = body;
      jobs.push({ line, body: applyJobFlags(extra, workflow, flags, `${name}:${line}`) });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      bad.push({ line, message: err.message.replace(`${name}:${line}: `, '') });
    }
  }
  if (bad.length > 0) {
    for (const b of bad.sort((x, y) => x.line - y.line)) ctx.warn(`${file}:${b.line}: ${b.message}`);
    throw new UsageError(`${bad.length} bad line${bad.length === 1 ? '' : 's'} in ${file}; nothing was submitted`, 'submit');
  }
  if (jobs.length === 0) throw new UsageError(`${file} holds no jobs`, 'submit');

  const images = await resolveInputArgs(ctx.client, ((o.input as string[] | undefined) ?? []).map(parseInputArg), ctx.io.cwd, ctx.io.signal);
  if (images) for (const job of jobs) job.body.inputs = { ...(job.body.inputs ?? {}), ...images };

  const base = (o['idempotency-key'] as string | undefined) ?? `gantry-cli-${randomUUID()}`;
  const chunks = Math.ceil(jobs.length / BATCH_MAX_JOBS);
  const submitted: { line: number; job: BatchJobResult; body: SubmitJobInput }[] = [];
  for (let n = 0; n < chunks; n++) {
    const chunk = jobs.slice(n * BATCH_MAX_JOBS, (n + 1) * BATCH_MAX_JOBS);
    const key = chunks > 1 ? `${base}-b${n + 1}` : base;
    let answer;
    try {
      answer = await ctx.client.submitBatch(chunk.map((j) => j.body), { signal: ctx.io.signal, idempotencyKey: key });
    } catch (err) {
      if (!(err instanceof GantryError) || err.code !== 'BATCH_INVALID' || !Array.isArray(err.errors)) throw err;
      for (const e of err.errors as BatchItemError[]) {
        ctx.warn(`${file}:${chunk[e.index]?.line ?? `?(item ${e.index})`}: ${e.code}: ${e.detail}`);
        for (const detail of itemErrorLines(e.errors)) ctx.warn(`  ${detail}`);
      }
      ctx.warn(`The API refused ${(err.errors as unknown[]).length} line${(err.errors as unknown[]).length === 1 ? '' : 's'} of request ${n + 1}/${chunks}; none of its ${chunk.length} jobs was submitted.`);
      if (submitted.length > 0) {
        ctx.warn(`${submitted.length} jobs of the requests before it were accepted. Fix the lines and run again with --idempotency-key ${base}: accepted requests are not submitted twice.`);
      }
      if (ctx.json) ctx.emitJson({ error: err.toJSON(), submitted: submitted.map((s) => ({ line: s.line, ...s.job })) });
      return EXIT.API;
    }
    for (const [i, job] of answer.jobs.entries()) {
      const { line, body } = chunk[i]!;
      submitted.push({ line, job, body });
      const how = answer.replayed ? 'already submitted' : job.reusedFrom ? 'reused' : 'submitted';
      ctx.say(`${how} ${job.id}  ${name}:${line}${job.reusedFrom ? `  (result of ${job.reusedFrom}, no GPU run)` : ''}`);
    }
    ctx.say(`request ${n + 1}/${chunks}: ${chunk.length} jobs ${answer.replayed ? 'already accepted' : 'accepted'} (${submitted.length}/${jobs.length})`);
  }
  if (!watch) {
    if (ctx.json) ctx.emitJson(submitted.map((s) => ({ line: s.line, ...s.job })));
    return EXIT.OK;
  }
  const result = await followJobs(
    ctx,
    submitted.map((s) => ({ id: s.job.id, label: `${name}:${s.line}`, workflow: s.body.workflow })),
    outDir,
  );
  if (ctx.json) ctx.emitJson(result.jobs);
  return result.exitCode;
}

/** A refused item's own details: its failing fields (`path: message`), or whatever else it carries. */
function itemErrorLines(errors: unknown): string[] {
  if (errors === undefined) return [];
  if (Array.isArray(errors)) return errors.map((e: { path?: string; message?: string }) => `${e.path ? `${e.path}: ` : ''}${e.message ?? JSON.stringify(e)}`);
  return errorDetailLines(errors);
}
