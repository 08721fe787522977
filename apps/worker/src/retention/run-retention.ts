import { deleteExpiredBatch, deleteExpiredUploads, previewExpired, previewExpiredUploads, type Db, type ExpiredArtifact, type RetentionPolicy } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import type { ArtifactStore } from '@gantry/storage';
import { retentionMetrics } from './retention-metrics.js';

export interface RetentionDeps {
  db: Db;
  store: ArtifactStore;
  logger: Logger;
  metrics: Registry;
}

export interface RetentionOptions {
  /** Days kept for tenants without an override (GANTRY_RETENTION_DAYS); 0 keeps forever. */
  defaultDays: number;
  /** Count and report only; delete nothing. */
  dryRun: boolean;
  /** Jobs deleted per transaction (GANTRY_RETENTION_BATCH_SIZE). */
  batchSize: number;
  /**
   * A blob written (or stored again) less than this long ago is kept even when no row references
   * it: equal bytes may just have been stored for a new job whose row is not written yet. Default 10 min.
   */
  blobGraceMs?: number;
  /** At most this many batches per run; the next run goes on. Default 1000. */
  maxBatches?: number;
  /** The reference time (default: now). */
  now?: Date;
  /** Asked before each batch; false ends the run early (lock lost, worker stopping). */
  shouldContinue?: () => Promise<boolean> | boolean;
}

/** What one run deleted (or, in dry run, would delete). */
export interface RetentionReport {
  dryRun: boolean;
  defaultDays: number;
  jobs: number;
  artifacts: number;
  /** Blobs removed from the store (dry run: that would be removed). */
  blobs: number;
  /** Their bytes. */
  bytes: number;
  /** Blobs of deleted artifacts kept because another artifact still references them. */
  sharedBlobsKept: number;
  /** Blobs kept because they were written within the grace period. */
  recentBlobsKept: number;
  /** Uploads (input images) deleted: unused for the tenant's retention, named by no unfinished job. */
  uploads: number;
  batches: number;
  /** False when the run stopped early (batch limit, lock lost, stopping); the next run goes on. */
  complete: boolean;
  durationMs: number;
}

/**
 * Deletes finished jobs older than their tenant's retention (events and artifact rows with them)
 * in batches of one transaction each, and with each batch the blobs no remaining artifact row
 * references (just before its rows). In dry run, counts the same things and deletes nothing.
 * Updates the retention metrics either way.
 */
export async function runRetention(deps: RetentionDeps, options: RetentionOptions): Promise<RetentionReport> {
  const started = Date.now();
  const metrics = retentionMetrics(deps.metrics);
  const mode = options.dryRun ? 'dry_run' : 'delete';
  const endTimer = metrics.duration.startTimer({ mode });
  const policy: RetentionPolicy = { defaultDays: options.defaultDays, now: options.now ?? new Date() };
  const report: RetentionReport = {
    dryRun: options.dryRun,
    defaultDays: options.defaultDays,
    jobs: 0,
    artifacts: 0,
    blobs: 0,
    bytes: 0,
    sharedBlobsKept: 0,
    recentBlobsKept: 0,
    uploads: 0,
    batches: 0,
    complete: true,
    durationMs: 0,
  };
  const log = deps.logger.child({ component: 'retention', mode });
  try {
    if (options.dryRun) {
      const counts = await previewExpired(deps.db, policy);
      Object.assign(report, counts);
      report.uploads = await previewExpiredUploads(deps.db, policy);
      for (const [kind, value] of Object.entries(counts)) metrics.wouldDelete.set({ kind }, value);
    } else {
      await deleteInBatches(deps, options, policy, report, log);
      await deleteUploads(deps, options, policy, report);
    }
    report.durationMs = Date.now() - started;
    metrics.lastRun.set({ result: 'ok' }, Date.now() / 1000);
    log.info({ ...report }, options.dryRun ? 'retention dry run: nothing deleted' : 'retention run done');
    return report;
  } catch (err) {
    metrics.lastRun.set({ result: 'error' }, Date.now() / 1000);
    log.error({ err, ...report }, 'retention run failed');
    throw err;
  } finally {
    endTimer();
  }
}

async function deleteInBatches(
  deps: RetentionDeps,
  options: RetentionOptions,
  policy: RetentionPolicy,
  report: RetentionReport,
  log: Logger,
): Promise<void> {
  const metrics = retentionMetrics(deps.metrics);
  const graceMs = options.blobGraceMs ?? 10 * 60_000;
  const maxBatches = options.maxBatches ?? 1000;
  for (;;) {
    if (report.batches >= maxBatches || (options.shouldContinue && !(await options.shouldContinue()))) {
      report.complete = false;
      return;
    }
    const batch = await deleteExpiredBatch(deps.db, policy, options.batchSize, (unreferenced) => releaseBlobs(deps, unreferenced, graceMs, report));
    report.batches += 1;
    if (batch.jobs === 0) return;
    report.jobs += batch.jobs;
    report.artifacts += batch.artifacts.length;
    report.sharedBlobsKept += new Set(batch.artifacts.map((a) => a.storageKey)).size - batch.unreferenced.length;
    metrics.deletedJobs.inc(batch.jobs);
    metrics.deletedArtifacts.inc(batch.artifacts.length);
    log.debug({ batch: report.batches, jobs: batch.jobs, artifacts: batch.artifacts.length }, 'retention batch deleted');
    if (batch.jobs < options.batchSize) return;
  }
}

/** Deletes expired uploads in batches, with the blobs nothing else holds (after the job batches). */
async function deleteUploads(deps: RetentionDeps, options: RetentionOptions, policy: RetentionPolicy, report: RetentionReport): Promise<void> {
  const graceMs = options.blobGraceMs ?? 10 * 60_000;
  for (let batch = 0; batch < (options.maxBatches ?? 1000); batch++) {
    if (options.shouldContinue && !(await options.shouldContinue())) {
      report.complete = false;
      return;
    }
    const deleted = await deleteExpiredUploads(deps.db, policy, options.batchSize, (unreferenced) => releaseBlobs(deps, unreferenced, graceMs, report));
    report.uploads += deleted.length;
    report.sharedBlobsKept += deleted.filter((d) => d.shared).length;
    if (deleted.length < options.batchSize) return;
  }
  report.complete = false;
}

/**
 * Deletes the blobs no artifact row references any more, except those written within `graceMs`
 * (equal bytes stored again lately: a new row referencing them is on its way).
 */
async function releaseBlobs(deps: RetentionDeps, unreferenced: ExpiredArtifact[], graceMs: number, report: RetentionReport): Promise<void> {
  const metrics = retentionMetrics(deps.metrics);
  for (const { storageKey, bytes } of unreferenced) {
    if (deps.store.lastWrittenAt) {
      const writtenAt = await deps.store.lastWrittenAt(storageKey);
      if (writtenAt === null) continue; // already gone
      if (Date.now() - writtenAt.getTime() < graceMs) {
        report.recentBlobsKept += 1;
        continue;
      }
    }
    await deps.store.delete(storageKey);
    report.blobs += 1;
    report.bytes += bytes;
    metrics.deletedBlobs.inc();
    metrics.deletedBytes.inc(bytes);
  }
}
