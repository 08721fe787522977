import { Prisma } from '../generated/client.js';
import type { Db } from './db-client.js';
import type { DbOrTx } from './audit-events.js';

/**
 * Retention queries. A job expires when it is finished (succeeded, failed, canceled) and its
 * `finished_at` is older than its tenant's retention: `tenants.retention_days`, or the installation
 * default when that is null; 0 days means "keep forever".
 */
export interface RetentionPolicy {
  /** Days kept for tenants without an override (GANTRY_RETENTION_DAYS); 0 keeps forever. */
  defaultDays: number;
  /** The reference time; expiry is `finished_at < now - days`. */
  now: Date;
}

/** The expired-job condition on `jobs j JOIN tenants t`. */
function expiredWhere(policy: RetentionPolicy): Prisma.Sql {
  const days = Prisma.sql`COALESCE(t.retention_days, ${policy.defaultDays}::int)`;
  return Prisma.sql`${days} > 0
    AND j.status IN ('succeeded', 'failed', 'canceled')
    AND j.finished_at IS NOT NULL
    AND j.finished_at < ${policy.now}::timestamptz - make_interval(days => ${days})`;
}

/** What a retention pass would delete (or did): jobs, their artifact rows, and the blobs freed. */
export interface RetentionCounts {
  jobs: number;
  artifacts: number;
  /** Distinct storage keys referenced only by expiring artifacts (their blobs can go). */
  blobs: number;
  /** Bytes of those blobs. */
  bytes: number;
}

/** Counts what expires now, deleting nothing (dry run). Shared blobs still referenced elsewhere are not counted. */
export async function previewExpired(db: Db, policy: RetentionPolicy): Promise<RetentionCounts> {
  const rows = await db.$queryRaw<{ jobs: number; artifacts: number; blobs: number; bytes: bigint | number }[]>`
    WITH doomed AS (
      SELECT j.id FROM jobs j JOIN tenants t ON t.id = j.tenant_id WHERE ${expiredWhere(policy)}
    ), doomed_artifacts AS (
      SELECT a.storage_key, a.bytes FROM artifacts a JOIN doomed d ON d.id = a.job_id
    ), freed AS (
      SELECT storage_key, max(bytes) AS bytes FROM doomed_artifacts da
      WHERE NOT EXISTS (
        SELECT 1 FROM artifacts o
        WHERE o.storage_key = da.storage_key AND NOT EXISTS (SELECT 1 FROM doomed d WHERE d.id = o.job_id)
      )
      -- uploads share the content-addressed blobs: equal bytes uploaded keep the blob
      AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.storage_key = da.storage_key)
      GROUP BY storage_key
    )
    SELECT (SELECT count(*)::int FROM doomed) AS jobs,
           (SELECT count(*)::int FROM doomed_artifacts) AS artifacts,
           (SELECT count(*)::int FROM freed) AS blobs,
           (SELECT COALESCE(sum(bytes), 0)::bigint FROM freed) AS bytes`;
  const row = rows[0]!;
  return { jobs: row.jobs, artifacts: row.artifacts, blobs: row.blobs, bytes: Number(row.bytes) };
}

/** An artifact of an expired job: its blob's key and size. */
export interface ExpiredArtifact {
  storageKey: string;
  bytes: number;
}

/** One deleted batch: how many jobs went (with their events), and the artifact rows that went with them. */
export interface DeletedBatch {
  jobs: number;
  artifacts: ExpiredArtifact[];
  /** Blobs of those artifacts that no other artifact references (handed to `releaseBlobs`). */
  unreferenced: ExpiredArtifact[];
}

/**
 * Deletes up to `limit` expired jobs, oldest first, with their events and artifact rows, in one
 * transaction. Before the rows go, `releaseBlobs` gets the blobs no other artifact row references
 * (one entry per storage key) and deletes what it may: should the process die in between, the
 * rows are still there and the next run finishes the job, so no blob is ever orphaned. Jobs
 * locked by another transaction are skipped, never waited for.
 */
export async function deleteExpiredBatch(
  db: Db,
  policy: RetentionPolicy,
  limit: number,
  releaseBlobs: (unreferenced: ExpiredArtifact[]) => Promise<void>,
): Promise<DeletedBatch> {
  return db.$transaction(
    async (tx) => {
      const jobs = await tx.$queryRaw<{ id: string }[]>`
        SELECT j.id::text AS id FROM jobs j JOIN tenants t ON t.id = j.tenant_id
        WHERE ${expiredWhere(policy)}
        ORDER BY j.finished_at
        LIMIT ${limit}::int
        FOR UPDATE OF j SKIP LOCKED`;
      if (jobs.length === 0) return { jobs: 0, artifacts: [], unreferenced: [] };
      const ids = jobs.map((j) => j.id);
      const artifacts = await tx.$queryRaw<{ storage_key: string; bytes: number; shared: boolean }[]>`
        SELECT a.storage_key, a.bytes,
               (EXISTS (SELECT 1 FROM artifacts o WHERE o.storage_key = a.storage_key AND o.job_id <> ALL(${ids}::uuid[]))
                OR EXISTS (SELECT 1 FROM uploads u WHERE u.storage_key = a.storage_key)) AS shared
        FROM artifacts a WHERE a.job_id = ANY(${ids}::uuid[])`;
      const unreferenced = new Map<string, number>();
      for (const a of artifacts) if (!a.shared) unreferenced.set(a.storage_key, a.bytes);
      await releaseBlobs([...unreferenced].map(([storageKey, bytes]) => ({ storageKey, bytes })));
      await tx.$executeRaw`DELETE FROM jobs WHERE id = ANY(${ids}::uuid[])`;
      return {
        jobs: ids.length,
        artifacts: artifacts.map((a) => ({ storageKey: a.storage_key, bytes: a.bytes })),
        unreferenced: [...unreferenced].map(([storageKey, bytes]) => ({ storageKey, bytes })),
      };
    },
    // Deleting a batch's blobs happens inside the transaction: allow for a slow shared filesystem.
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/** A tenant's retention override (null: the installation default). */
export async function getTenantRetention(db: DbOrTx, tenantId: string): Promise<{ id: string; name: string; retentionDays: number | null } | null> {
  return db.tenant.findUnique({ where: { id: tenantId }, select: { id: true, name: true, retentionDays: true } });
}

/** Sets (or, with null, clears) a tenant's retention override. */
export async function setTenantRetention(
  db: DbOrTx,
  tenantId: string,
  retentionDays: number | null,
): Promise<{ id: string; name: string; retentionDays: number | null }> {
  return db.tenant.update({ where: { id: tenantId }, data: { retentionDays }, select: { id: true, name: true, retentionDays: true } });
}

/** An upload retention deleted (or would): its blob is released when nothing else holds it. */
export interface ExpiredUpload {
  id: string;
  storageKey: string;
  bytes: number;
  /** Another row (upload, artifact, input of an unfinished job) still holds the blob. */
  shared: boolean;
}

/**
 * The expired-upload condition on `uploads u JOIN tenants t`: unused (not uploaded again, not named
 * by a submitted job) for the tenant's retention, and named by no queued or running job.
 */
function expiredUploadWhere(policy: RetentionPolicy): Prisma.Sql {
  const days = Prisma.sql`COALESCE(t.retention_days, ${policy.defaultDays}::int)`;
  return Prisma.sql`${days} > 0
    AND u.last_used_at < ${policy.now}::timestamptz - make_interval(days => ${days})
    AND NOT EXISTS (SELECT 1 FROM job_inputs i JOIN jobs j ON j.id = i.job_id
                    WHERE i.upload_id = u.id AND j.status IN ('queued', 'dispatched', 'running'))`;
}

/** Counts the uploads that expire now (dry run). */
export async function previewExpiredUploads(db: Db, policy: RetentionPolicy): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM uploads u JOIN tenants t ON t.id = u.tenant_id WHERE ${expiredUploadWhere(policy)}`;
  return rows[0]!.n;
}

/**
 * Deletes up to `limit` expired uploads in one transaction (rows locked, skipped when another
 * transaction holds them, so a submit binding one wins or waits). Before the rows go,
 * `releaseBlobs` gets the ones whose blob nothing else holds.
 */
export async function deleteExpiredUploads(
  db: Db,
  policy: RetentionPolicy,
  limit: number,
  releaseBlobs: (unreferenced: ExpiredUpload[]) => Promise<void>,
): Promise<ExpiredUpload[]> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; storage_key: string; bytes: number }[]>`
        SELECT u.id::text AS id, u.storage_key, u.bytes FROM uploads u JOIN tenants t ON t.id = u.tenant_id
        WHERE ${expiredUploadWhere(policy)}
        ORDER BY u.last_used_at
        LIMIT ${limit}::int
        FOR UPDATE OF u SKIP LOCKED`;
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      const shared = await tx.$queryRaw<{ storage_key: string }[]>`
        SELECT DISTINCT r.storage_key FROM unnest(${rows.map((r) => r.storage_key)}::text[]) AS r(storage_key)
        WHERE EXISTS (SELECT 1 FROM uploads o WHERE o.storage_key = r.storage_key AND o.id <> ALL(${ids}::uuid[]))
           OR EXISTS (SELECT 1 FROM artifacts a WHERE a.storage_key = r.storage_key)
           OR EXISTS (SELECT 1 FROM job_inputs i JOIN jobs j ON j.id = i.job_id
                      WHERE i.storage_key = r.storage_key AND j.status IN ('queued', 'dispatched', 'running'))`;
      const kept = new Set(shared.map((r) => r.storage_key));
      const expired = rows.map((r) => ({ id: r.id, storageKey: r.storage_key, bytes: r.bytes, shared: kept.has(r.storage_key) }));
      await releaseBlobs(expired.filter((e) => !e.shared));
      await tx.$executeRaw`DELETE FROM uploads WHERE id = ANY(${ids}::uuid[])`;
      return expired;
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}
