import { z } from 'zod';
import { boolEnv, commonEnvSchema, listEnv, parseEnv, withRedisKeyPrefix, type EnvIssue } from '@gantry/domain';

export const workerEnvSchema = commonEnvSchema.extend({
  /**
   * The GPU backends this worker may dispatch to: a JSON array or the short form
   * `id=url[;capacity][;tag,tag] ...` (see docs/configuration.md).
   */
  GANTRY_BACKENDS: z.string().default(''),
  /** Only use backends carrying every one of these tags (comma-separated), e.g. this node's name. */
  GANTRY_WORKER_TAGS: listEnv(),
  /** Jobs this worker runs at once; default: the total capacity of its backends. */
  GANTRY_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1024).optional(),
  /** Name of this worker in logs and leases; default: hostname-pid. */
  GANTRY_WORKER_ID: z.string().min(1).max(128).optional(),
  /** Attempts per job before it fails (retryable errors only: backend lost, out of memory). */
  GANTRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /**
   * A job that made this many different backends answer 5xx, time out or stall on it fails with
   * POISON_JOB (the job, not the fleet, is the likely cause); only the first of them is struck.
   */
  GANTRY_POISON_BACKENDS: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * Largest output file a job may produce, in bytes: its download from the backend is cut and the
   * job fails (BACKEND_ERROR) once more arrived. Outputs stream into the store, never held whole.
   */
  GANTRY_OUTPUT_MAX_BYTES: z.coerce.number().int().min(1024).max(5 * 1024 ** 3).default(512 * 1024 * 1024),
  /** First retry delay; doubles each attempt, with jitter. */
  GANTRY_RETRY_BASE_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  /** A backend slot lease not renewed for this long is reclaimed (a killed worker frees its slots). */
  GANTRY_LEASE_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** No progress from a backend for this long → interrupt, strike against it, retry elsewhere. */
  GANTRY_STALL_TIMEOUT_MS: z.coerce.number().int().min(500).max(86_400_000).default(120_000),
  /** How long a job waits on this worker for a free slot before it goes back to the queue for others. */
  GANTRY_SLOT_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  /**
   * How long before a GPU slot of this worker is expected to free (its backend's pace) the worker
   * takes the next job from the queue while the fleet is full, to hand it the slot at the prompt's end
   * (0, the default: never, see docs/scheduling.md for its cost to FIFO; at most half of GANTRY_SLOT_WAIT_MS is used).
   */
  GANTRY_SLOT_LEAD_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * With GANTRY_SLOT_LEAD_MS: once a prompt runs on its backend and is within the lead of its
   * expected end, its slot goes to the next job then, whose prompt waits in the backend's own queue
   * and starts the moment this one ends (off by default; see docs/scheduling.md, "Queue-ahead").
   */
  GANTRY_QUEUE_AHEAD: boolEnv.default(false),
  /** Running jobs one tenant may have across the fleet (0: no cap). */
  GANTRY_TENANT_MAX_RUNNING: z.coerce.number().int().min(0).max(100_000).default(0),
  /** A waiting job gains one priority level per this many ms (anti-starvation; 0 disables). */
  GANTRY_PRIORITY_AGING_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** least-connections (default) or round-robin (a baseline for benchmarks). */
  GANTRY_DISPATCH_POLICY: z.enum(['least-connections', 'round-robin']).default('least-connections'),
  /** BullMQ lock of an active job; a dead worker's jobs return after it expires and a stalled check runs. */
  GANTRY_LOCK_DURATION_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** How often BullMQ looks for jobs whose worker died (stalled jobs). */
  GANTRY_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** Most times BullMQ hands back a job whose worker's lock expired before it gives the entry up (the reconciler then queues it again). */
  GANTRY_MAX_STALLED_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
  /** How often a worker refreshes, in PostgreSQL, the heartbeat of the jobs it holds. */
  GANTRY_HEARTBEAT_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  /** A held job whose heartbeat is older than this has lost its worker: it is recovered (asking its backend first). Keep it several heartbeats long. */
  GANTRY_JOB_STALE_MS: z.coerce.number().int().min(200).max(3_600_000).default(20_000),
  /** Time between two reconciler passes (one worker at a time): jobs PostgreSQL says must run and Redis lost are queued again. 0: this worker takes no part. */
  GANTRY_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  /** Every this often a reconciler pass checks every queued job; between them only recently changed ones (a Redis that came back empty triggers a full pass at once). */
  GANTRY_RECONCILE_FULL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** A queued job changed more recently than this is left alone by the reconciler (its enqueue may be in flight). */
  GANTRY_RECONCILE_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(3000),
  /** How long a worker keeps retrying a database step (e.g. recording a finished job) while PostgreSQL is unreachable. */
  GANTRY_DB_RETRY_DEADLINE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** How long a backend may stay unreachable during a run before the job is retried elsewhere. */
  GANTRY_BACKEND_LOST_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
  /** Least time between two persisted progress events of one job. */
  GANTRY_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  /** Least time between two published preview images of one job (previews are not stored). */
  GANTRY_PREVIEW_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** How long a stopping worker waits for running jobs before handing them back. */
  GANTRY_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** How often the backends registry (PostgreSQL) is re-read, to pick up backends added through the API. */
  GANTRY_REGISTRY_REFRESH_MS: z.coerce.number().int().min(20).max(600_000).default(5000),
  /** Time between two health probes of each backend (shared by all workers through Redis). */
  GANTRY_HEALTH_INTERVAL_MS: z.coerce.number().int().min(20).max(600_000).default(5000),
  /** Bound on one health probe request (`/system_stats`); default min(interval, 5 s). */
  GANTRY_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(20).max(600_000).optional(),
  /** Node types (`/object_info`) are refetched after this long, or at once when the version changes. */
  GANTRY_NODE_TYPES_REFRESH_MS: z.coerce.number().int().min(20).max(86_400_000).default(60_000),
  /** Consecutive failures (failed probes + job strikes) that open a backend's circuit breaker. */
  GANTRY_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  /** How long an open breaker stays open before one half-open probe decides. */
  GANTRY_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(20).max(86_400_000).default(30_000),
  /** Port of the worker's HTTP server (/metrics, /livez, /readyz); 0 picks a free one. */
  GANTRY_WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Interface of the worker's HTTP server; 0.0.0.0 in containers so Prometheus and probes reach it. */
  GANTRY_WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Days finished jobs (rows, events, artifacts) are kept; 0 keeps them forever. A tenant's retention_days overrides it. */
  GANTRY_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  /** Retention only reports (logs, metrics) what it would delete. */
  GANTRY_RETENTION_DRY_RUN: boolEnv.default(false),
  /** How often retention runs (once per period across the fleet); 0: this worker takes no part. */
  GANTRY_RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).max(7 * 86_400_000).default(3_600_000),
  /** Jobs deleted per transaction by retention. */
  GANTRY_RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /**
   * Secret(s) that sign webhooks (HMAC-SHA256), at least 16 characters each. Comma-separated during
   * a rotation: every listed secret signs (one `v1` each). Unset: this worker delivers no webhooks.
   */
  GANTRY_WEBHOOK_SECRET: listEnv({ check: (secret) => secret.length >= 16, message: 'each secret needs at least 16 characters' }),
  /** Attempts per webhook delivery (the first included) before it is marked failed. */
  GANTRY_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  /** Bound on one webhook attempt (connect, send, response). */
  GANTRY_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Delay before the 2nd webhook attempt; doubles each attempt, with jitter. */
  GANTRY_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  /** Longest delay between two webhook attempts (also caps a receiver's Retry-After). */
  GANTRY_WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /** Webhook attempts one worker runs at once (a separate BullMQ worker from the renders). */
  GANTRY_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10),
  /** How often pending webhook deliveries whose queue entry was lost are enqueued again. */
  GANTRY_WEBHOOK_SWEEP_MS: z.coerce.number().int().min(50).max(3_600_000).default(30_000),
  /**
   * With GANTRY_STORAGE_PRESIGN=urls: how long the presigned output URLs in a webhook work, in
   * seconds, counted from the attempt that carries them (each attempt signs afresh). Longer than
   * the API's view TTL: a receiver may queue the event before it fetches the outputs.
   */
  GANTRY_WEBHOOK_PRESIGN_TTL_SEC: z.coerce.number().int().min(1).max(604_800).default(3600),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** The worker's rules between its variables. */
function workerEnvIssues(env: WorkerEnv): EnvIssue[] {
  return env.GANTRY_QUEUE_AHEAD && env.GANTRY_SLOT_LEAD_MS === 0
    ? [{ variable: 'GANTRY_QUEUE_AHEAD', message: "needs GANTRY_SLOT_LEAD_MS above 0 (how long before a prompt's expected end the next one is sent)" }]
    : [];
}

export function loadWorkerEnv(env: Record<string, string | undefined> = process.env): WorkerEnv {
  return withRedisKeyPrefix(parseEnv(workerEnvSchema, env, workerEnvIssues));
}
