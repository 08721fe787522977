import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { QUEUE_NAMES, backoffDelay, systemClock, type Clock, type RenderJobPayload } from '@gantry/domain';
import { createPrisma, poolOptionsFromEnv, upsertBackend, withDbRetry } from '@gantry/db';
import { JobDoor } from '@gantry/jobs';
import { SlotLeases, parseBackendList } from '@gantry/fleet';
import type { Logger } from '@gantry/logger';
import { artifactDiskMetrics, createMetricsRegistry, jobFinishMetrics, jobRunMetrics, recordBuildInfo, resolveCommit } from '@gantry/metrics';
import { EventPublisher, TenantJobCounts, announceFleetChange, closeRedis, createRedis, createRenderQueue, logRedisErrors } from '@gantry/queue';
import { createArtifactStore } from '@gantry/storage';
import { CancelRegistry } from './cancel/cancel-registry.js';
import { createDriver } from './dispatch/driver-factory.js';
import { startFleetIntake } from './dispatch/fleet-intake.js';
import { startPriorityAging } from './dispatch/priority-aging.js';
import type { WorkerEnv } from './env.js';
import { startFleetServices } from './fleet/fleet-services.js';
import { startOpsServer, type OpsServer } from './http/ops-server.js';
import { workerReadiness } from './http/readiness.js';
import { workerMetrics } from './metrics/worker-metrics.js';
import { JobHeartbeat } from './ownership/job-heartbeat.js';
import { QueueReconciler } from './reconcile/queue-reconciler.js';
import { readVersion } from './version.js';
import type { WorkerDeps } from './processors/context.js';
import { processRender } from './processors/render.processor.js';
import { WorkerShutdown } from './processors/worker-shutdown.js';
import { startRetentionSchedule } from './retention/retention-schedule.js';
import { startWebhookService } from './webhooks/webhook-service.js';

export interface RunningWorker {
  id: string;
  deps: WorkerDeps;
  /** Queue reconciliation (tests run a pass directly). */
  reconciler: QueueReconciler;
  /** The PostgreSQL heartbeat of held jobs (tests beat directly). */
  heartbeat: JobHeartbeat;
  /** The worker's HTTP server (/metrics, /livez, /readyz). */
  http: { url: string; port: number };
  /** Stops taking jobs, waits up to the grace period for running ones, closes connections. */
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** Where time comes from wherever it decides behaviour (default the system clock). */
  clock?: Clock;
}

/** Starts a worker process's job loop from validated configuration. */
export async function startWorker(env: WorkerEnv, logger: Logger, options: WorkerOptions = {}): Promise<RunningWorker> {
  const clock = options.clock ?? systemClock;
  const workerId = env.GANTRY_WORKER_ID ?? `${hostname()}-${process.pid}`;
  const log = logger.child({ worker: workerId });
  const wantedTags = env.GANTRY_WORKER_TAGS;
  const backends = parseBackendList(env.GANTRY_BACKENDS).filter((b) => wantedTags.every((t) => b.tags.includes(t)));
  if (backends.length === 0) log.warn('GANTRY_BACKENDS lists no backend for this worker; serving only backends registered through the API');

  const db = createPrisma(env.DATABASE_URL, { ...poolOptionsFromEnv(env), applicationName: 'gantry-worker' });
  const redis = createRedis(env.REDIS_URL, { onError: logRedisErrors(log, 'commands') });
  const subscriber = createRedis(env.REDIS_URL, { onError: logRedisErrors(log, 'cancel subscriber') });
  const bullConnection = createRedis(env.REDIS_URL, { onError: logRedisErrors(log, 'render worker') });
  for (const b of backends) await upsertBackend(db, b);
  // The API instances' submit checks read the backends again (fleet/fleet-services.ts announces learned info).
  if (backends.length > 0) void announceFleetChange(redis, env.GANTRY_QUEUE_PREFIX).catch((err: unknown) => log.warn({ err }, 'fleet change not announced in Redis'));

  const queue = createRenderQueue({ connection: redis, prefix: env.GANTRY_QUEUE_PREFIX, onError: logRedisErrors(log, 'render queue') });
  // Members follow the backends registry (env list above + backends added through the API); see fleet/.
  const fleetServices = await startFleetServices({
    env, db, redis, workerId, logger: log, clock,
    queueKeys: { wait: queue.keys.wait!, prioritized: queue.keys.prioritized!, active: queue.keys.active! },
    leases: new SlotLeases(redis, { prefix: env.GANTRY_QUEUE_PREFIX, ttlMs: env.GANTRY_LEASE_TTL_MS, policy: env.GANTRY_DISPATCH_POLICY }),
    createDriver: (config) => createDriver(config, log, { backendLostMs: env.GANTRY_BACKEND_LOST_MS, maxDownloadBytes: env.GANTRY_OUTPUT_MAX_BYTES }),
  });
  const fleet = fleetServices.fleet;
  const cancels = new CancelRegistry();
  await cancels.start(subscriber, env.GANTRY_QUEUE_PREFIX);
  const metrics = createMetricsRegistry('worker', { instance: workerId });
  // Webhook deliveries: their own BullMQ worker, concurrency and Redis connection (webhooks/).
  const store = createArtifactStore(env);
  const webhooks = await startWebhookService(env, { db, logger: log, metrics, store });
  const publisher = new EventPublisher(redis, env.GANTRY_QUEUE_PREFIX);
  // Database steps ride out a PostgreSQL restart or failover instead of failing the job.
  const persist = <T>(step: () => Promise<T>): Promise<T> =>
    withDbRetry(step, {
      deadlineMs: env.GANTRY_DB_RETRY_DEADLINE_MS,
      onRetry: (err, attempt, delayMs) => {
        if (attempt === 1 || attempt % 10 === 0) log.warn({ err, attempt, delayMs }, 'database unreachable; retrying');
      },
    });
  const counts = new TenantJobCounts(redis, env.GANTRY_QUEUE_PREFIX);
  const jobs = new JobDoor({ db, publisher, metrics, logger: log, queue, persist, counts, onWebhookDelivery: (id) => webhooks.enqueue(id) });
  const deps: WorkerDeps = {
    db,
    publisher,
    jobs,
    persist,
    store,
    fleet,
    health: fleetServices.health,
    cancels,
    logger: log,
    metrics,
    workerId,
    clock,
    webhooks,
    config: {
      maxAttempts: env.GANTRY_MAX_ATTEMPTS,
      progressIntervalMs: env.GANTRY_PROGRESS_INTERVAL_MS,
      previewIntervalMs: env.GANTRY_PREVIEW_INTERVAL_MS,
      stallTimeoutMs: env.GANTRY_STALL_TIMEOUT_MS,
      slotWaitMs: env.GANTRY_SLOT_WAIT_MS,
      tenantMaxRunning: env.GANTRY_TENANT_MAX_RUNNING,
      staleMs: env.GANTRY_JOB_STALE_MS,
      backendLostMs: env.GANTRY_BACKEND_LOST_MS,
      poisonBackends: env.GANTRY_POISON_BACKENDS,
      outputMaxBytes: env.GANTRY_OUTPUT_MAX_BYTES,
      queueAhead: env.GANTRY_QUEUE_AHEAD,
    },
  };
  // Ownership of held jobs lives in PostgreSQL (heartbeat); lost queue entries are rebuilt from it.
  const heartbeat = new JobHeartbeat(db, workerId, () => cancels.heldIds(), env.GANTRY_HEARTBEAT_MS, log, clock);
  heartbeat.start();
  const reconciler = new QueueReconciler({
    db, redis, prefix: env.GANTRY_QUEUE_PREFIX, jobs, counts, logger: log,
    intervalMs: env.GANTRY_RECONCILE_INTERVAL_MS, graceMs: env.GANTRY_RECONCILE_GRACE_MS, staleMs: env.GANTRY_JOB_STALE_MS,
    fullEveryMs: env.GANTRY_RECONCILE_FULL_MS,
    clock,
  });

  // Without GANTRY_WORKER_CONCURRENCY, the intake gate follows the fleet's free slots (backends can
  // be added at run time), bounded only by a sanity limit.
  const maxConcurrency = env.GANTRY_WORKER_CONCURRENCY ?? 1024;
  let active = 0;
  const worker = new Worker<RenderJobPayload>(
    QUEUE_NAMES.render,
    async (job, token) => {
      active += 1;
      try {
        return await processRender(deps, job, token);
      } finally {
        active -= 1;
      }
    },
    {
      connection: bullConnection,
      prefix: env.GANTRY_QUEUE_PREFIX,
      concurrency: Math.max(1, Math.min(maxConcurrency, fleet.totalCapacity)),
      // A job whose worker died comes back after the lock expires; past this many times BullMQ gives
      // the entry up, and the reconciler (which decides on PostgreSQL's heartbeat) queues it again.
      maxStalledCount: env.GANTRY_MAX_STALLED_COUNT,
      lockDuration: env.GANTRY_LOCK_DURATION_MS,
      stalledInterval: env.GANTRY_STALLED_INTERVAL_MS,
      settings: {
        backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, { baseMs: env.GANTRY_RETRY_BASE_MS }),
      },
    },
  );
  worker.on('error', (err) => log.error({ err }, 'worker connection error'));
  let accepting = false; // /readyz: the job loop runs (false again once stopping)
  const intake = await startFleetIntake(worker, fleet, subscriber, { maxConcurrency, logger: log, clock });
  const stopAging = startPriorityAging(db, queue, redis, env.GANTRY_QUEUE_PREFIX, env.GANTRY_PRIORITY_AGING_MS, log, clock);

  // Observability: metric families, scrape-time gauges and the HTTP server (docs/metrics.md).
  recordBuildInfo(deps.metrics, readVersion(), resolveCommit(env.GANTRY_COMMIT));
  // The disk gauges measure the local store's filesystem; with S3 there is none (they stay unset).
  if (env.GANTRY_STORAGE === 'local') artifactDiskMetrics(deps.metrics).watch(env.GANTRY_ARTIFACT_DIR);
  jobFinishMetrics(deps.metrics);
  jobRunMetrics(deps.metrics);
  const readiness = workerReadiness({
    db,
    redis,
    store,
    health: fleetServices.health,
    backends: () => fleetServices.registry.current().map((r) => ({ id: r.id, draining: r.draining })),
    accepting: () => accepting,
  });
  workerMetrics(deps.metrics).watch({
    active: () => active,
    concurrency: () => worker.concurrency,
    leasesHeld: () => fleet.leases.heldByThisProcess,
    backends: () => fleet.size,
    ready: async () => (await readiness()).ready,
  });
  // Retention: one run per GANTRY_RETENTION_INTERVAL_MS across the fleet (docs/operations.md).
  const retention = await startRetentionSchedule(deps, {
    redis,
    redisUrl: env.REDIS_URL,
    prefix: env.GANTRY_QUEUE_PREFIX,
    intervalMs: env.GANTRY_RETENTION_INTERVAL_MS,
    run: { defaultDays: env.GANTRY_RETENTION_DAYS, dryRun: env.GANTRY_RETENTION_DRY_RUN, batchSize: env.GANTRY_RETENTION_BATCH_SIZE },
    logger: log,
  });
  let ops: OpsServer | null = null;

  const stop = async () => {
    accepting = false;
    await intake.stop();
    stopAging();
    const retentionStopped = retention.stop();
    // Stop taking jobs and let running ones finish; past the grace period, interrupt them on their
    // backends and hand them back to the queue for another worker (see render.processor).
    const closing = worker.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), env.GANTRY_SHUTDOWN_GRACE_MS);
    });
    if (await Promise.race([closing.then(() => false), graceOver])) {
      log.warn({ running: active }, 'grace period over; handing running jobs back');
      cancels.abortAll(new WorkerShutdown());
    }
    await closing;
    clearTimeout(timer);
    await reconciler.stop();
    await heartbeat.stop();
    await retentionStopped;
    await webhooks.close();
    await ops?.close(); // no job runs any more: probes and scrapes may stop
    await cancels.stop();
    await queue.close();
    await fleetServices.stop();
    await fleet.close();
    await Promise.all([closeRedis(redis), closeRedis(subscriber), closeRedis(bullConnection)]);
    await db.$disconnect();
    await store.close?.();
  };

  try {
    ops = await startOpsServer({
      host: env.GANTRY_WORKER_HTTP_HOST,
      port: env.GANTRY_WORKER_HTTP_PORT,
      registry: deps.metrics,
      readiness,
      metricsToken: env.GANTRY_METRICS_TOKEN ?? null,
      logger: log,
    });
  } catch (err) {
    await stop();
    const where = `${env.GANTRY_WORKER_HTTP_HOST}:${env.GANTRY_WORKER_HTTP_PORT}`;
    throw new Error(`the worker's HTTP server cannot listen on ${where} (GANTRY_WORKER_HTTP_HOST/PORT): ${(err as Error).message}`, { cause: err });
  }
  await worker.waitUntilReady();
  reconciler.start();
  accepting = true;
  log.info({ backends: backends.map((b) => b.id), concurrency: worker.concurrency, http: ops.url }, 'worker ready');

  return { id: workerId, deps, reconciler, heartbeat, http: { url: ops.url, port: ops.port }, close: stop };
}
