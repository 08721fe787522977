/**
 * `npm run retention [-- --dry-run] [-- --days N]`: one retention run now, by hand, with the
 * worker's configuration (GANTRY_RETENTION_*, DATABASE_URL, REDIS_URL, GANTRY_STORAGE and its store's
 * variables); prints
 * a summary. It takes the fleet's retention lock, so it never overlaps a scheduled run.
 * The image runs it as `docker run gantry retention --dry-run`.
 */
import { parseArgs } from 'node:util';
import { createPrisma, poolOptionsFromEnv } from '@gantry/db';
import { createLogger, runMain } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { closeRedis, createRedis, logRedisErrors } from '@gantry/queue';
import { createArtifactStore } from '@gantry/storage';
import { loadWorkerEnv } from '../env.js';
import { RetentionLock } from './retention-lock.js';
import { runRetention, type RetentionReport } from './run-retention.js';

const USAGE = `usage: npm run retention -- [--dry-run] [--days N] [--batch-size N]
  --dry-run       report what would be deleted, delete nothing (also GANTRY_RETENTION_DRY_RUN=true)
  --days N        days kept for tenants without an override (default GANTRY_RETENTION_DAYS)
  --batch-size N  jobs per transaction (default GANTRY_RETENTION_BATCH_SIZE)`;

function positiveInt(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`${name} must be an integer >= ${min}\n${USAGE}`);
  return Number(value);
}

function formatReport(report: RetentionReport, where: string): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  return [
    `retention ${report.dryRun ? '(dry run: nothing deleted)' : ''}`.trim(),
    `  default retention: ${report.defaultDays === 0 ? 'keep forever' : `${report.defaultDays} days`} (tenant overrides apply)`,
    `  jobs ${verb}: ${report.jobs}`,
    `  artifacts ${verb}: ${report.artifacts}`,
    `  blobs ${verb}: ${report.blobs} (${report.bytes} bytes) in ${where}`,
    ...(report.dryRun ? [] : [`  blobs kept, still referenced: ${report.sharedBlobsKept}`, `  blobs kept, written lately: ${report.recentBlobsKept}`]),
    `  complete: ${report.complete ? 'yes' : 'no (run again to go on)'}`,
    `  took: ${report.durationMs} ms`,
  ].join('\n');
}

runMain(async () => {
  const { values } = parseArgs({
    options: { 'dry-run': { type: 'boolean' }, days: { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = loadWorkerEnv();
  const days = positiveInt(values.days, '--days', 0) ?? env.GANTRY_RETENTION_DAYS;
  const batchSize = positiveInt(values['batch-size'], '--batch-size', 1) ?? env.GANTRY_RETENTION_BATCH_SIZE;
  const dryRun = values['dry-run'] === true || env.GANTRY_RETENTION_DRY_RUN;
  const logger = createLogger({ name: 'retention', level: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL });
  const db = createPrisma(env.DATABASE_URL, { ...poolOptionsFromEnv(env), applicationName: 'gantry-retention' });
  const redis = createRedis(env.REDIS_URL, { onError: logRedisErrors(logger, 'retention') });
  const lock = new RetentionLock(redis, env.GANTRY_QUEUE_PREFIX);
  const store = createArtifactStore(env);
  try {
    if (!(await lock.acquire())) throw new Error('retention is running elsewhere (the lock is held); try again later');
    try {
      const report = await runRetention(
        { db, store, logger, metrics: createMetricsRegistry('worker', { processMetrics: false }) },
        { defaultDays: days, dryRun, batchSize, shouldContinue: () => lock.extend() },
      );
      console.log(formatReport(report, store.describe()));
    } finally {
      await lock.release();
    }
  } finally {
    await closeRedis(redis);
    await db.$disconnect();
    await store.close?.();
  }
});
