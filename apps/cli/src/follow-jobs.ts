import path from 'node:path';
import { saveOutputs } from '@gantry/sdk/node';
import { isTerminalStatus, type Job, type Workflow } from '@gantry/sdk';
import type { CommandContext } from './context.js';
import { formatDuration } from './eta.js';
import { EXIT } from './exit-codes.js';
import { errorDetailLines, errorText } from './format.js';
import { applyProgressEvent, progressFromJob, timing, type JobProgress } from './job-progress.js';
import { rendererFor, type ProgressRenderer } from './progress.js';

export interface FollowTarget {
  id: string;
  /** Shown on its progress line. */
  label: string;
  /** To name nodes by type. */
  workflow?: Workflow | undefined;
}

export interface FollowResult {
  jobs: (Job & { files?: string[] })[];
  exitCode: number;
}

/**
 * Follows jobs over the stream with a progress display, downloads each one's outputs into
 * `outDir` as it succeeds, prints errors of failed ones, and sums up. Exit 1 if any did not succeed.
 */
export async function followJobs(ctx: CommandContext, targets: FollowTarget[], outDir: string | undefined): Promise<FollowResult> {
  const renderer: ProgressRenderer | null = ctx.json ? null : rendererFor(ctx.io.stdout);
  const byId = new Map(targets.map((t) => [t.id.toLowerCase(), t]));
  const progress = new Map<string, JobProgress>();
  const files = new Map<string, string[]>();
  const finals = new Map<string, Job>();
  const pending: Promise<void>[] = [];
  const problems: unknown[] = [];
  const dir = outDir === undefined ? undefined : path.resolve(ctx.io.cwd, outDir);

  const onTerminal = async (id: string) => {
    const job = await ctx.client.get(id, { signal: ctx.io.signal });
    finals.set(id, job);
    const label = byId.get(id)?.label ?? id;
    if (job.status === 'succeeded' && dir !== undefined) {
      const saved = await saveOutputs(ctx.client, job, dir, { signal: ctx.io.signal });
      files.set(id, saved.map((s) => s.path));
      for (const s of saved) renderer?.log(`${label}: saved ${path.relative(ctx.io.cwd, s.path) || s.path}`);
    }
    if (job.status !== 'succeeded') {
      renderer?.log(`${label}: ${job.status}${job.error ? `: ${job.error.code}: ${job.error.message}` : ''}`);
      for (const line of job.error?.details === undefined ? [] : errorDetailLines(job.error.details)) renderer?.log(`  ${line}`);
    }
  };

  const watch = ctx.client.watch(
    [...byId.keys()],
    {
      onSnapshot: (job) => {
        const p = progressFromJob(job, byId.get(job.id)?.label ?? job.id, Date.now());
        progress.set(job.id, p);
        renderer?.update(p);
      },
      onEvent: (record) => {
        const before = progress.get(record.jobId);
        if (!before) return;
        const p = applyProgressEvent(before, record, Date.now(), byId.get(record.jobId)?.workflow);
        progress.set(record.jobId, p);
        renderer?.update(p);
      },
      onTerminal: (job) => {
        pending.push(onTerminal(job.id).catch((err: unknown) => void problems.push(err)));
      },
      onReconnecting: (info) => renderer?.log(`stream closed (${info.code}${info.reason ? ` ${info.reason}` : ''}); reconnecting in ${formatDuration(info.delayMs)}`),
      onWarning: (err) => renderer?.log(errorText(err)),
    },
    { signal: ctx.io.signal },
  );
  try {
    await watch.done;
    await Promise.all(pending);
  } finally {
    renderer?.finish();
  }
  if (problems.length > 0) throw problems[0];

  const jobs = targets.map((t) => {
    const id = t.id.toLowerCase();
    const job = finals.get(id) ?? watch.job(id)!;
    return dir === undefined ? job : { ...job, files: files.get(id) ?? [] };
  });
  for (const job of jobs) {
    const p = progress.get(job.id);
    const took = p ? timing(p, Date.now()).elapsedMs : undefined;
    const label = byId.get(job.id)?.label ?? job.id;
    const ok = job.status === 'succeeded';
    ctx.say(`${ok ? 'ok' : 'FAILED'}  ${label}  ${job.id}  ${job.status}${took === undefined ? '' : ` in ${formatDuration(took)}`}${job.error ? `  ${job.error.code}: ${job.error.message}` : ''}`);
  }
  const allOk = jobs.every((j) => j.status === 'succeeded' && isTerminalStatus(j.status));
  return { jobs, exitCode: allOk ? EXIT.OK : EXIT.JOB_FAILED };
}
