import { Counter, Histogram, type Registry } from 'prom-client';
import { JOB_DURATION_BUCKETS } from './buckets.js';
import { metricSet } from './registry.js';

/** Submitted jobs: counted by the API that accepted them (idempotent replays are not counted). */
export const jobSubmitMetrics = metricSet((registry: Registry) => ({
  submitted: new Counter({
    name: 'gantry_jobs_submitted_total',
    help: 'Jobs accepted, by kind (workflow, txt2img); includes those answered by reuse.',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  reused: new Counter({
    name: 'gantry_jobs_reused_total',
    help: 'Jobs submitted with reuse: true that were answered at once from an earlier identical success of their tenant (no GPU run), by kind.',
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

/**
 * What recovery and reconciliation did: every bad state found is counted (and logged), never
 * silently repaired (docs/metrics.md).
 */
export const jobRecoveryMetrics = metricSet((registry: Registry) => ({
  enqueueDeferred: new Counter({
    name: 'gantry_jobs_enqueue_deferred_total',
    help: 'Accepted jobs whose enqueue failed at submit (Redis unreachable); the reconciler queues them from PostgreSQL.',
    registers: [registry],
  }),
  reconciled: new Counter({
    name: 'gantry_jobs_reconciled_total',
    help: 'Jobs the reconciler queued again because Redis no longer held a live entry for them, by the status PostgreSQL had.',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
  recoveries: new Counter({
    name: 'gantry_job_recoveries_total',
    help: 'Attempts whose outcome was settled by asking the backend (worker lost, error on the success path, shutdown), by outcome: collected (finished on the backend, outputs collected), followed (still running there, awaited), rerun (the backend did not have it), failed, canceled.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  duplicatesAvoided: new Counter({
    name: 'gantry_duplicate_runs_avoided_total',
    help: 'Prompts that had already run, or were still running, on their backend and would have been run again without asking it, by situation (worker_lost, success_path_error, shutdown).',
    labelNames: ['situation'] as const,
    registers: [registry],
  }),
  lookupsUnanswered: new Counter({
    name: 'gantry_backend_lookups_unanswered_total',
    help: 'Times a worker could not ask a backend what became of a prompt it holds (refused, 5xx, timed out); it asks again for up to GANTRY_BACKEND_LOST_MS before running the prompt elsewhere, by outcome: retry, gave_up.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
}));
