import type { JobStatus } from '@gantry/domain';
import { Prisma } from '../generated/client.js';
import type { Db } from './db-client.js';
import type { JobRow } from './jobs.js';

/**
 * Who holds a dispatched or running job, decided in PostgreSQL with PostgreSQL's clock: the worker
 * that dispatched it keeps `heartbeat_at` fresh; a job whose heartbeat is older than the stale
 * limit has lost its worker and may be claimed by another. Redis locks cannot decide this: Redis
 * may have been flushed or failed over while the worker was alive, or alive while it was not.
 */

/** Refreshes the heartbeat of the jobs this worker holds; returns how many rows it touched. */
export async function touchHeldJobs(db: Db, workerId: string, jobIds: readonly string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  return db.$executeRaw`
    UPDATE jobs SET heartbeat_at = now()
    WHERE id = ANY(${jobIds}::uuid[]) AND worker_id = ${workerId} AND status IN ('dispatched', 'running')`;
}

/**
 * Takes over a dispatched/running job whose worker is gone: its heartbeat is older than `staleMs`
 * (or missing), or it names this worker, which runs no attempt of it (`ownedAndIdle`: a restarted
 * worker under the same id, or an attempt of ours that ended without recording its outcome).
 * Atomic: of several workers trying, one gets the row. Null: someone else holds it, or it moved on.
 */
export async function claimLostJob(db: Db, jobId: string, workerId: string, staleMs: number, ownedAndIdle: boolean): Promise<JobRow | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE jobs SET worker_id = ${workerId}, heartbeat_at = now()
    WHERE id = ${jobId}::uuid AND status IN ('dispatched', 'running')
      AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${staleMs / 1000})
           OR (${ownedAndIdle} AND worker_id = ${workerId}))
    RETURNING id::text AS id`;
  if (rows.length === 0) return null;
  return db.job.findUnique({ where: { id: jobId } });
}

/** How long until a held job's heartbeat goes stale (ms; 0 when it already is), by PostgreSQL's clock. */
export async function heartbeatAgeMs(db: Db, jobId: string): Promise<number | null> {
  const rows = await db.$queryRaw<{ age_ms: number | null }[]>`
    SELECT (EXTRACT(EPOCH FROM (now() - heartbeat_at)) * 1000)::float8 AS age_ms FROM jobs WHERE id = ${jobId}::uuid`;
  return rows[0]?.age_ms ?? null;
}

/** A job PostgreSQL says must still run, as the reconciler sees it. */
export interface ReconcileCandidate {
  id: string;
  tenantId: string;
  status: JobStatus;
  priority: number;
  queueSeq: number;
}

/**
 * One page (by id) of the jobs of `group` whose queue entry should exist: `queued` ones that
 * entered the queue more than `graceMs` ago (a submit's enqueue may still be in flight; with
 * `changedWithinMs`, only those that entered it within that window, served by the
 * (status, queued_at) index), or `held` (dispatched/running) ones whose worker's heartbeat is
 * stale. Otherwise served by the (status, id) index, one status at a time.
 */
export async function findReconcileCandidates(
  db: Db,
  options: {
    group: 'queued' | 'held';
    graceMs: number;
    staleMs: number;
    /** Queued group only: just the jobs changed within this window (null: all of them). */
    changedWithinMs?: number | null;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<ReconcileCandidate[]> {
  const after = options.afterId ?? '00000000-0000-0000-0000-000000000000';
  type Row = { id: string; tenant_id: string; status: JobStatus; priority: number; queue_seq: number };
  const grace = Prisma.sql`make_interval(secs => ${options.graceMs / 1000})`;
  const rows =
    options.group === 'held'
      ? await db.$queryRaw<Row[]>`
          SELECT id::text AS id, tenant_id::text AS tenant_id, status::text AS status, priority, queue_seq FROM jobs
          WHERE status IN ('dispatched', 'running') AND id > ${after}::uuid
            AND COALESCE(heartbeat_at, updated_at) < now() - make_interval(secs => ${options.staleMs / 1000})
          ORDER BY jobs.id
          LIMIT ${options.limit}`
      : options.changedWithinMs == null
        ? await db.$queryRaw<Row[]>`
            SELECT id::text AS id, tenant_id::text AS tenant_id, status::text AS status, priority, queue_seq FROM jobs
            WHERE status = 'queued' AND id > ${after}::uuid AND queued_at < now() - ${grace}
            ORDER BY jobs.status, jobs.id
            LIMIT ${options.limit}`
        : // The window's jobs through (status, queued_at), then ordered: not a walk of every queued job.
          await db.$queryRaw<Row[]>`
            SELECT id::text AS id, tenant_id::text AS tenant_id, status::text AS status, priority, queue_seq FROM jobs
            WHERE status = 'queued' AND id > ${after}::uuid
              AND queued_at < now() - ${grace} AND queued_at > now() - make_interval(secs => ${options.changedWithinMs / 1000})
            ORDER BY jobs.id
            LIMIT ${options.limit}`;
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, status: r.status, priority: r.priority, queueSeq: r.queue_seq }));
}

/**
 * Moves jobs' queue entries to their next generation, each only if it is still at the generation
 * the caller saw and still must run (another reconciler, or a worker, may have acted meanwhile).
 * One statement for the whole batch. Returns the new generation of each job it moved.
 */
export async function bumpQueueGenerations(db: Db, jobs: readonly { id: string; fromSeq: number }[]): Promise<Map<string, number>> {
  if (jobs.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; queue_seq: number }[]>`
    UPDATE jobs SET queue_seq = jobs.queue_seq + 1, queued_at = now()
    FROM unnest(${jobs.map((j) => j.id)}::uuid[], ${jobs.map((j) => j.fromSeq)}::int[]) AS seen(id, seq)
    WHERE jobs.id = seen.id AND jobs.queue_seq = seen.seq AND jobs.status IN ('queued', 'dispatched', 'running')
    RETURNING jobs.id::text AS id, jobs.queue_seq`;
  return new Map(rows.map((r) => [r.id, r.queue_seq]));
}

/**
 * Gives up this worker's hold on a dispatched/running job without changing its state (a stopping
 * worker whose prompt is still on its backend): the next pickup of its entry claims it at once and
 * asks the backend, which collects, follows or reruns it. True when the hold was released.
 */
export async function releaseHeldJob(db: Db, jobId: string, workerId: string): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE jobs SET worker_id = NULL, heartbeat_at = NULL
    WHERE id = ${jobId}::uuid AND worker_id = ${workerId} AND status IN ('dispatched', 'running')`;
  return count === 1;
}
