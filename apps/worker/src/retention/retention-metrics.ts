import { Counter, Gauge, Histogram, metricSet } from '@gantry/metrics';

/**
 * Retention's metrics (docs/operations.md#retention). Counters grow by what was deleted; in dry
 * run the `would_delete` gauges hold what the last run found instead, and nothing is deleted.
 */
export const retentionMetrics = metricSet((registry) => ({
  deletedJobs: new Counter({
    name: 'gantry_retention_deleted_jobs_total',
    help: 'Finished jobs deleted by retention (with their events and artifact rows)',
    registers: [registry],
  }),
  deletedArtifacts: new Counter({
    name: 'gantry_retention_deleted_artifacts_total',
    help: 'Artifact rows deleted by retention',
    registers: [registry],
  }),
  deletedBlobs: new Counter({
    name: 'gantry_retention_deleted_blobs_total',
    help: 'Blobs removed from the artifact store by retention (no artifact row referenced them any more)',
    registers: [registry],
  }),
  deletedBytes: new Counter({
    name: 'gantry_retention_deleted_bytes_total',
    help: 'Bytes of the blobs removed from the artifact store by retention',
    registers: [registry],
  }),
  wouldDelete: new Gauge({
    name: 'gantry_retention_would_delete',
    help: 'What the last dry run found expired, by kind: jobs, artifacts, blobs, bytes',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  lastRun: new Gauge({
    name: 'gantry_retention_last_run_timestamp_seconds',
    help: 'Unix time at which the last retention run (dry or not) ended, by result (ok, error)',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  duration: new Histogram({
    name: 'gantry_retention_run_duration_seconds',
    help: 'Duration of retention runs',
    labelNames: ['mode'] as const,
    buckets: [0.05, 0.25, 1, 5, 30, 120, 600, 1800],
    registers: [registry],
  }),
}));
