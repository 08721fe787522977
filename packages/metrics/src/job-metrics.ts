import { Counter, Histogram, type Registry } from 'prom-client';
import { JOB_DURATION_BUCKETS } from './buckets.js';
import { metricSet } from './registry.js';

/** Submitted jobs: counted by the API that accepted them (idempotent replays are not counted). */
export const jobSubmitMetrics = metricSet((registry: Registry) => ({
  submitted: new Counter({
    name: 'gantry_jobs_submitted_total',
    help: 'Jobs accepted and queued, by kind (workflow, txt2img).',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
}));

/**
 * Jobs that reached a final status, counted where the transition happened: the worker for
 * succeeded/failed/canceled-while-running, the API for jobs canceled while queued.
 */
export const jobFinishMetrics = metricSet((registry: Registry) => ({
  finished: new Counter({
    name: 'gantry_jobs_finished_total',
    help: 'Jobs that reached a final status (succeeded, failed, canceled), by kind and status.',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  }),
}));

/** What a worker measures about the jobs it runs. */
export const jobRunMetrics = metricSet((registry: Registry) => ({
  queueWait: new Histogram({
    name: 'gantry_job_queue_wait_seconds',
    help: 'Time from a job being created to its first start on a GPU (created_at to started_at), by kind.',
    labelNames: ['kind'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers: [registry],
  }),
  runDuration: new Histogram({
    name: 'gantry_job_run_seconds',
    help: 'Time from a job starting on a GPU to its final status (started_at to finished_at), by kind and status.',
    labelNames: ['kind', 'status'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers: [registry],
  }),
  retried: new Counter({
    name: 'gantry_job_retries_total',
    help: 'Attempts that failed with a retryable error and put their job back in the queue, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
}));
