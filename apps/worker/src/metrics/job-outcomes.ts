import type { TransitionResult } from '@gantry/db';
import { jobFinishMetrics, jobRunMetrics } from '@gantry/metrics';
import type { WorkerDeps } from '../processors/context.js';

type Job = { id: string; kind: 'workflow' | 'txt2img'; createdAt: Date; startedAt: Date | null };

/**
 * The job started on a GPU (`running`): its queue wait (created → started) is observed on the
 * first start only, like `started_at`, which later attempts keep.
 */
export function recordJobStarted(deps: Pick<WorkerDeps, 'metrics'>, job: Job, started: TransitionResult | null): void {
  if (!started || job.startedAt !== null) return;
  const seconds = (started.at.getTime() - job.createdAt.getTime()) / 1000;
  jobRunMetrics(deps.metrics).queueWait.observe({ kind: job.kind }, Math.max(0, seconds));
}

/**
 * The job reached a final status here: counted, and its run time (started → finished, from the
 * database's timestamps) observed when it had started. Never throws: metrics must not fail a job.
 */
export async function recordJobFinished(deps: Pick<WorkerDeps, 'metrics' | 'db'>, job: Pick<Job, 'id' | 'kind'>, finished: TransitionResult | null): Promise<void> {
  if (!finished) return;
  const status = finished.status;
  jobFinishMetrics(deps.metrics).finished.inc({ kind: job.kind, status });
  try {
    const times = await deps.db.job.findUnique({ where: { id: job.id }, select: { startedAt: true, finishedAt: true } });
    if (times?.startedAt && times.finishedAt) {
      const seconds = (times.finishedAt.getTime() - times.startedAt.getTime()) / 1000;
      jobRunMetrics(deps.metrics).runDuration.observe({ kind: job.kind, status }, Math.max(0, seconds));
    }
  } catch {
    // the counter is recorded; the duration is best effort
  }
}

/** An attempt failed with a retryable error and its job went back to the queue. */
export function recordJobRetry(deps: Pick<WorkerDeps, 'metrics'>, code: string): void {
  jobRunMetrics(deps.metrics).retried.inc({ code });
}
