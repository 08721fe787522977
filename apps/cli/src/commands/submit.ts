import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SubmitJobInput, Workflow } from '@gantry/sdk';
import type { ParsedCommand } from '../args.js';
import { applyJobFlags, jobFlagsOf } from '../job-flags.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { followJobs } from '../follow-jobs.js';
import { parseInputArg, resolveInputArgs } from '../input-images.js';
import { submitBatchFile } from './submit-batch.js';

/** Reads a workflow file: ComfyUI API format (`{"3": {"class_type": ...}}`), or a job body with `workflow`. */
async function readWorkflowFile(file: string, cwd: string): Promise<{ workflow: Workflow; extra: Partial<SubmitJobInput> }> {
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'submit');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON`, 'submit');
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`${file} must hold a JSON object (a ComfyUI workflow in API format)`, 'submit');
  const obj = data as Record<string, unknown>;
  if (Array.isArray(obj.nodes) && Array.isArray(obj.links)) {
    throw new UsageError(`${file} is a ComfyUI UI workflow; export it with "Save (API Format)" (or "Export (API)") and submit that file`, 'submit');
  }
  if (obj.workflow && typeof obj.workflow === 'object' && !Array.isArray(obj.workflow)) {
    const { workflow, ...extra } = obj as { workflow: Workflow } & Partial<SubmitJobInput>;
    checkWorkflow(workflow, file);
    return { workflow, extra };
  }
  checkWorkflow(obj as Workflow, file);
  return { workflow: obj as Workflow, extra: {} };
}

function checkWorkflow(workflow: Workflow, file: string): void {
  const entries = Object.entries(workflow);
  if (entries.length === 0) throw new UsageError(`${file} has no nodes`, 'submit');
  for (const [id, node] of entries) {
    if (!node || typeof node !== 'object' || typeof (node as { class_type?: unknown }).class_type !== 'string') {
      throw new UsageError(`${file}: node "${id}" has no class_type; is this a ComfyUI workflow in API format?`, 'submit');
    }
  }
}

export async function submitCommand(ctx: CommandContext, cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  // The command line parser made sure of: workflow files, or --batch alone.
  if (o.batch !== undefined) return submitBatchFile(ctx, cmd, o.batch as string);
  const flags = jobFlagsOf(o);
  const outDir = o.out as string | undefined;
  const watch = Boolean(o.watch) || outDir !== undefined;
  const idempotencyKey = o['idempotency-key'] as string | undefined;

  const inputArgs = ((o.input as string[] | undefined) ?? []).map(parseInputArg);
  // Read and edit every file before submitting any (a typo must not leave half the batch queued).
  const inputs = [];
  for (const file of cmd.args) {
    const { workflow, extra } = await readWorkflowFile(file, ctx.io.cwd);
    const body = applyJobFlags(extra, workflow, flags, file);
    inputs.push({ file, body, workflow: body.workflow! });
  }

  const images = await resolveInputArgs(ctx.client, inputArgs, ctx.io.cwd, ctx.io.signal);
  if (images) for (const input of inputs) input.body.inputs = { ...(input.body.inputs ?? {}), ...images };

  // Every submit carries an idempotency key (a fresh one unless given), so the SDK may retry it
  // after a 429/503 or a network error without ever creating the job twice.
  const base = idempotencyKey ?? `gantry-cli-${randomUUID()}`;
  const submitted = [];
  for (const [i, input] of inputs.entries()) {
    const key = inputs.length > 1 ? `${base}-${i + 1}` : base;
    const { job, replayed } = await ctx.client.submit(input.body, { signal: ctx.io.signal, idempotencyKey: key });
    submitted.push({ ...input, job });
    const how = replayed ? 'already submitted' : job.reusedFrom ? 'reused' : 'submitted';
    ctx.say(`${how} ${job.id}  ${input.file}${job.reusedFrom ? `  (result of ${job.reusedFrom}, no GPU run)` : ''}`);
  }
  if (!watch) {
    if (ctx.json) ctx.emitJson(submitted.map((s) => s.job));
    return EXIT.OK;
  }
  const labels = uniqueLabels(submitted.map((s) => path.basename(s.file).replace(/\.json$/i, '')));
  const result = await followJobs(
    ctx,
    submitted.map((s, i) => ({ id: s.job.id, label: labels[i]!, workflow: s.workflow })),
    outDir,
  );
  if (ctx.json) ctx.emitJson(result.jobs);
  return result.exitCode;
}

/** Labels made unique (`a`, `a#2`, ...) when the same file is submitted twice. */
function uniqueLabels(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const count = (seen.get(n) ?? 0) + 1;
    seen.set(n, count);
    return count === 1 ? n : `${n}#${count}`;
  });
}
