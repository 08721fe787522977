import type { JobStatus } from '@gantry/domain';
import { Prisma } from '../generated/client.js';
import type { Job } from '../generated/client.js';
import { rawRows } from '../pool-query.js';
import type { DbOrTx } from './audit-events.js';
import type { Db } from './db-client.js';

export type JobRow = Job;

export interface NewJob {
  id: string;
  tenantId: string;
  kind?: 'workflow' | 'txt2img' | 'img2img';
  /** The ComfyUI workflow, or the txt2img parameters. */
  workflow: unknown;
  priority: number;
  requirements?: unknown;
  metadata?: unknown;
  timeoutSeconds?: number | undefined;
  /** Callback for terminal states, with the events it wants. */
  webhook?: { url: string; events: string[] } | undefined;
  idempotencyKey?: string | undefined;
  requestHash?: string | undefined;
  /** The job this one retries. */
  retryOf?: string | undefined;
  /** The request's reuse key (`reuseKey` of @gantry/domain); null or left out: never reused. */
  reuseKey?: string | null | undefined;
  /** Its input images, bound at submit (inserted with the job: a worker never sees it without them). */
  inputs?: NewJobInput[] | undefined;
}

export interface NewJobInput {
  name: string;
  uploadId: string;
  sha256: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  storageKey: string;
  filename: string;
  targets: { node: string; field: string }[];
  source: 'upload' | 'url' | 'base64';
}

/** Inserts a queued job together with its first event (seq 1, `state: queued`). */
export async function insertJob(db: DbOrTx, job: NewJob): Promise<JobRow> {
  return db.job.create({
    data: {
      id: job.id,
      tenantId: job.tenantId,
      kind: job.kind ?? 'workflow',
      workflow: job.workflow as Prisma.InputJsonValue,
      priority: job.priority,
      requirements: (job.requirements ?? Prisma.DbNull) as Prisma.InputJsonValue,
      metadata: (job.metadata ?? Prisma.DbNull) as Prisma.InputJsonValue,
      timeoutSeconds: job.timeoutSeconds ?? null,
      webhookUrl: job.webhook?.url ?? null,
      webhookEvents: job.webhook?.events ?? [],
      idempotencyKey: job.idempotencyKey ?? null,
      requestHash: job.requestHash ?? null,
      retryOf: job.retryOf ?? null,
      reuseKey: job.reuseKey ?? null,
      lastSeq: 1,
      events: { create: { seq: 1, type: 'state', payload: { type: 'state', status: 'queued', attempt: 0 } } },
      ...(job.inputs?.length ? { inputs: { create: job.inputs.map((i) => ({ ...i, targets: i.targets as Prisma.InputJsonValue })) } } : {}),
    },
  });
}

/** A job of one tenant; another tenant's job is indistinguishable from a missing one. */
export async function findTenantJob(db: Db, tenantId: string, id: string): Promise<JobRow | null> {
  return db.job.findFirst({ where: { id, tenantId } });
}

export async function findJobById(db: Db, id: string): Promise<JobRow | null> {
  return db.job.findUnique({ where: { id } });
}

export async function findJobByIdempotencyKey(db: Db, tenantId: string, key: string): Promise<JobRow | null> {
  return db.job.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey: key } } });
}

export interface ListJobsOptions {
  tenantId: string;
  status?: JobStatus | undefined;
  limit: number;
  /** Id of the last job of the previous page; ids are time-ordered (UUIDv7). */
  afterId?: string | undefined;
}

/** Newest first, keyset-paginated on the id index (`tenant_id, id desc`). */
export async function listJobs(db: Db, options: ListJobsOptions): Promise<JobRow[]> {
  return db.job.findMany({
    where: {
      tenantId: options.tenantId,
      ...(options.status ? { status: options.status } : {}),
      ...(options.afterId ? { id: { lt: options.afterId } } : {}),
    },
    orderBy: { id: 'desc' },
    take: options.limit,
  });
}

/** Marks a dispatched or running job for cancellation; the worker that holds it acts on it. */
export async function requestCancel(db: Db, tenantId: string, id: string): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id, tenantId, status: { in: ['dispatched', 'running'] } },
    data: { cancelRequested: true },
  });
  return count === 1;
}

type ActiveCounts = { queued: number; running: number };

/**
 * Queued and held (dispatched, running) jobs by tenant, as one GROUP BY through the pool (Prisma's
 * groupBy took 3x the statement's time at 100k active jobs: bench/README.md, "Queue reconciler").
 */
async function countActive(db: Db, tenantId: string | null): Promise<Map<string, ActiveCounts>> {
  const rows = await rawRows<{ tenant_id: string; status: string; n: number }>(db, Prisma.sql`
    SELECT tenant_id::text AS tenant_id, status::text AS status, count(*)::int AS n
    FROM jobs
    WHERE status IN ('queued', 'dispatched', 'running')${tenantId === null ? Prisma.empty : Prisma.sql` AND tenant_id = ${tenantId}::uuid`}
    GROUP BY tenant_id, status`);
  const out = new Map<string, ActiveCounts>();
  for (const r of rows) {
    const counts = out.get(r.tenant_id) ?? { queued: 0, running: 0 };
    if (r.status === 'queued') counts.queued += r.n;
    else counts.running += r.n;
    out.set(r.tenant_id, counts);
  }
  return out;
}

/** How many of a tenant's jobs are waiting or running, by status (for fair-share ranks and caps). */
export async function countActiveJobs(db: Db, tenantId: string): Promise<ActiveCounts> {
  return (await countActive(db, tenantId)).get(tenantId) ?? { queued: 0, running: 0 };
}

/** Every tenant's queued and held (dispatched, running) jobs (the reconciler checks the counts kept in Redis against it). */
export async function countActiveJobsByTenant(db: Db): Promise<Map<string, ActiveCounts>> {
  return countActive(db, null);
}
